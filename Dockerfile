# One image recipe for every app of the monorepo; pick the app with a build arg:
#   docker build --build-arg APP=card-svc -t issuing-bridge/card-svc .
# Apps run from TypeScript source with @swc-node/register, exactly as `npm start` runs them, so the
# image needs no separate build step and behaves like the local stack.
ARG NODE_VERSION=20.19

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ARG APP
RUN test -n "$APP" || (echo "build arg APP is required (gateway, cardholder-svc, card-svc, keysecure-sandbox)" && false)
ENV NODE_ENV=development \
    HTTP_HOST=0.0.0.0 \
    APP=${APP}
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json .swcrc ./
COPY libs ./libs
COPY apps ./apps
COPY config ./config
COPY scripts ./scripts
RUN test -f "apps/${APP}/src/main.ts" || (echo "apps/${APP}/src/main.ts not found" && false)
USER node
CMD ["sh", "-c", "exec node -r @swc-node/register apps/${APP}/src/main.ts"]
