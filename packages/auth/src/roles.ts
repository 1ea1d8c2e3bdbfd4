// Roles and what they may do (issue 6): admin everything; editor creates, uploads, edits and deletes
// their own videos; viewer watches and reads. One pure function decides, so the table is testable.
export type Role = 'admin' | 'editor' | 'viewer';
export const roles: readonly Role[] = ['admin', 'editor', 'viewer'];

export interface Principal {
  sub: string;
  roles: Role[];
  /** The highest of `roles`. */
  role: Role;
}

export type Action =
  | 'video.create'
  | 'video.upload'
  | 'video.update'
  | 'video.delete'
  | 'video.read'
  | 'video.list'
  | 'playback-token.create'
  | 'webhook.manage'
  | 'cache.purge';

export type Decision = { allowed: true } | { allowed: false; reason: string };

const rank: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

export function highestRole(list: readonly Role[]): Role | null {
  let best: Role | null = null;
  for (const role of list) if (best === null || rank[role] > rank[best]) best = role;
  return best;
}

/** Whether `principal` may do `action` (on `resource`, when the action concerns one). */
export function authorize(principal: Principal, action: Action, resource?: { owner: string }): Decision {
  const { role } = principal;
  if (role === 'admin') return { allowed: true };
  const own = resource ? resource.owner === principal.sub : true;
  switch (action) {
    case 'video.read':
    case 'video.list':
      return { allowed: true };
    case 'playback-token.create':
      // Anyone who may read the video may mint a token to watch it; private videos are only
      // readable by their owner (the API hides them from others).
      return { allowed: true };
    case 'video.create':
    case 'webhook.manage':
      return role === 'editor'
        ? { allowed: true }
        : { allowed: false, reason: `${action} needs the editor or admin role (you are ${role})` };
    case 'video.upload':
    case 'video.update':
    case 'video.delete':
      if (role !== 'editor') return { allowed: false, reason: `${action} needs the editor or admin role (you are ${role})` };
      return own ? { allowed: true } : { allowed: false, reason: `${action}: editors may only change their own videos` };
    case 'cache.purge':
      return { allowed: false, reason: 'cache.purge needs the admin role' };
  }
}
