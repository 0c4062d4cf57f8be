import { KeySecureTokenManager, TokenGrant } from './token-manager';

describe('KeySecureTokenManager', () => {
  let now = 1_000_000;
  const clock = () => now;

  function fetcher() {
    let calls = 0;
    const fn = jest.fn(async (): Promise<TokenGrant> => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 5));
      return { token: `t${calls}`, expiresAt: now + 3_600_000 };
    });
    return fn;
  }

  it('single-flights concurrent callers and reuses the token', async () => {
    const manager = new KeySecureTokenManager({ now: clock, refreshMarginMs: 60_000 });
    const fetch = fetcher();
    const tokens = await Promise.all(
      Array.from({ length: 50 }, () => manager.getToken('k', fetch)),
    );
    expect(new Set(tokens)).toEqual(new Set(['t1']));
    expect(await manager.getToken('k', fetch)).toBe('t1');
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('refreshes shortly before expiry', async () => {
    const manager = new KeySecureTokenManager({ now: clock, refreshMarginMs: 60_000 });
    const fetch = fetcher();
    await manager.getToken('k', fetch);
    now += 3_600_000 - 60_001;
    expect(await manager.getToken('k', fetch)).toBe('t1');
    now += 2;
    expect(await manager.getToken('k', fetch)).toBe('t2');
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('keeps one token per Api-Key', async () => {
    const manager = new KeySecureTokenManager({ now: clock });
    const a = fetcher();
    const b = fetcher();
    await manager.getToken('a', a);
    await manager.getToken('b', b);
    await manager.getToken('a', a);
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(1);
  });

  it('invalidate drops only the rejected token, so a burst of rejections refetches once', async () => {
    const manager = new KeySecureTokenManager({ now: clock });
    const fetch = fetcher();
    const first = await manager.getToken('k', fetch);
    manager.invalidate('k', first);
    const second = await manager.getToken('k', fetch);
    manager.invalidate('k', first); // late rejection of the old token
    expect(await manager.getToken('k', fetch)).toBe(second);
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('a failed fetch is not cached; the next call tries again', async () => {
    const manager = new KeySecureTokenManager({ now: clock });
    const failing = jest.fn(async (): Promise<TokenGrant> => {
      throw new Error('down');
    });
    await expect(
      Promise.all([manager.getToken('k', failing), manager.getToken('k', failing)]),
    ).rejects.toThrow('down');
    expect(failing).toHaveBeenCalledTimes(1);
    const fetch = fetcher();
    expect(await manager.getToken('k', fetch)).toBe('t1');
  });
});
