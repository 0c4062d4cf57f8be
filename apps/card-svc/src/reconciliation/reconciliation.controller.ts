import { Controller, HttpCode, Post } from '@nestjs/common';
import { CardReconciliation, type ReconciliationResult } from './card-reconciliation';

/** Operator trigger on the service's HTTP port: `POST /admin/reconciliation/run` (also `npm run reconcile`). */
@Controller('admin/reconciliation')
export class ReconciliationController {
  constructor(private readonly reconciliation: CardReconciliation) {}

  @Post('run')
  @HttpCode(200)
  run(): Promise<ReconciliationResult> {
    return this.reconciliation.runNow();
  }
}
