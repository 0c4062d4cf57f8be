import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeyRegistry, presentedApiKey } from './api-keys';

/** The authenticated calling system, set on the request by ApiKeyGuard. */
export type AuthenticatedRequest = FastifyRequest & { apiClient?: string };

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly registry: ApiKeyRegistry) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const result = this.registry.check(presentedApiKey(request.headers));
    switch (result.outcome) {
      case 'missing':
        throw new UnauthorizedException({
          code: 'unauthorized',
          message: 'Authorization: send "Bearer <api key>" or X-Api-Key',
        });
      case 'unknown':
        throw new UnauthorizedException({
          code: 'unauthorized',
          message: 'API key: not recognised',
        });
      case 'disabled':
        throw new ForbiddenException({
          code: 'forbidden',
          message: `API key: the key of "${result.client}" is disabled`,
        });
      case 'ok':
        request.apiClient = result.client;
        return true;
    }
  }
}
