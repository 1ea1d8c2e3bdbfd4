import { describe, expect, it } from 'vitest';
import { type Action, ANONYMOUS, actions, authorize, highestRole, type Principal, type Resource, type Role, roles } from './roles.ts';

const principal = (role: Role, sub = 'me'): Principal => ({ sub, roles: [role], role });

// The permission table as users rely on it, written out by hand (not derived from the code under
// test). Each cell is three letters for admin, editor, viewer: Y allowed, N denied.
type Target = 'none' | 'own' | 'other' | 'own-private' | 'other-private';
const targets: Record<Target, Resource | undefined> = {
  none: undefined,
  own: { owner: 'me', visibility: 'public' },
  other: { owner: 'someone', visibility: 'unlisted' },
  'own-private': { owner: 'me', visibility: 'private' },
  'other-private': { owner: 'someone', visibility: 'private' },
};
const table: Record<Action, Record<Target, string>> = {
  'video.create': { none: 'YYN', own: 'YYN', other: 'YYN', 'own-private': 'YYN', 'other-private': 'YYN' },
  'video.upload': { none: 'YNN', own: 'YYN', other: 'YNN', 'own-private': 'YYN', 'other-private': 'YNN' },
  'video.update': { none: 'YNN', own: 'YYN', other: 'YNN', 'own-private': 'YYN', 'other-private': 'YNN' },
  'video.delete': { none: 'YNN', own: 'YYN', other: 'YNN', 'own-private': 'YYN', 'other-private': 'YNN' },
  'video.read': { none: 'YYY', own: 'YYY', other: 'YYY', 'own-private': 'YYY', 'other-private': 'YNN' },
  'video.list': { none: 'YYY', own: 'YYY', other: 'YYY', 'own-private': 'YYY', 'other-private': 'YYY' },
  'playback-token.create': { none: 'YYY', own: 'YYY', other: 'YYY', 'own-private': 'YYY', 'other-private': 'YNN' },
  'webhook.manage': { none: 'YYN', own: 'YYN', other: 'YYN', 'own-private': 'YYN', 'other-private': 'YYN' },
  'cache.purge': { none: 'YNN', own: 'YNN', other: 'YNN', 'own-private': 'YNN', 'other-private': 'YNN' },
};

const cases = actions.flatMap((action) =>
  (Object.keys(targets) as Target[]).flatMap((target) =>
    roles.map((role, i) => ({ role, action, target, allowed: table[action][target][i] === 'Y' })),
  ),
);

describe('authorize', () => {
  it('has a row for every action', () => {
    expect(Object.keys(table).sort()).toEqual([...actions].sort());
    expect(cases).toHaveLength(actions.length * 5 * 3);
  });

  it.each(cases)('$role $action on $target → $allowed', ({ role, action, target, allowed }) => {
    const decision = authorize(principal(role), action, targets[target]);
    expect(decision.allowed).toBe(allowed);
    // A denial says which action and why, for the 403 body.
    if (!decision.allowed) expect(decision.reason).toContain(action);
  });

  it('fails closed on an unknown role or action (callers outside TypeScript)', () => {
    expect(authorize({ sub: 'me', roles: [], role: 'root' as Role }, 'video.list').allowed).toBe(false);
    expect(authorize(principal('admin'), 'video.explode' as Action).allowed).toBe(false);
  });

  it('does not treat an empty subject as the owner of an ownerless video', () => {
    expect(authorize(principal('editor', ''), 'video.delete', { owner: '' }).allowed).toBe(false);
  });

  it('lets ANONYMOUS read public and unlisted videos, never a private one, and change nothing', () => {
    expect(authorize(ANONYMOUS, 'video.read', { owner: 'u1', visibility: 'public' }).allowed).toBe(true);
    expect(authorize(ANONYMOUS, 'video.read', { owner: 'u1', visibility: 'unlisted' }).allowed).toBe(true);
    expect(authorize(ANONYMOUS, 'video.read', { owner: 'u1', visibility: 'private' }).allowed).toBe(false);
    expect(authorize(ANONYMOUS, 'video.read', { owner: '', visibility: 'private' }).allowed).toBe(false);
    expect(authorize(ANONYMOUS, 'video.update', { owner: '' }).allowed).toBe(false);
  });
});

describe('highestRole', () => {
  it('picks the highest known role and ignores the rest', () => {
    expect(highestRole(['viewer', 'admin', 'editor'])).toBe('admin');
    expect(highestRole(['viewer', 'editor'])).toBe('editor');
    expect(highestRole(['viewer', 'root' as Role])).toBe('viewer');
    expect(highestRole([])).toBeNull();
  });
});
