// Reads the protected header of a JWE compact string without decrypting it (no key needed).
// Done by hand so validation stays synchronous and free of the ESM-only `jose` import.
export function decodeProtectedHeader(compact: string): Record<string, unknown> | undefined {
  const first = compact.split('.', 1)[0];
  if (!first) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(first, 'base64url').toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
