/* `npm run reconcile`: asks the running card-svc (CARD_SVC_PORT, default 3002) to reconcile now. */
const port = process.env.CARD_SVC_PORT ?? '3002';
fetch(`http://127.0.0.1:${port}/admin/reconciliation/run`, { method: 'POST' })
  .then(async (response) => {
    process.stdout.write(`${await response.text()}\n`);
    process.exit(response.ok ? 0 : 1);
  })
  .catch((error: Error) => {
    process.stderr.write(`card-svc on port ${port} did not answer: ${error.message}\n`);
    process.exit(1);
  });
