import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthenticatedRequest } from './api-key.guard';

/** Rate limit per calling system (runs after ApiKeyGuard), not per IP: systems sit behind shared NATs. */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const req = request as unknown as AuthenticatedRequest;
    return Promise.resolve(req.apiClient ? `client:${req.apiClient}` : `ip:${req.ip}`);
  }
}
