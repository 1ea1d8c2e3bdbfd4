// Roles and what they may do: admin everything; editor creates videos and uploads, edits and
// deletes their own; viewer watches and reads. One pure function decides, so the whole table is
// testable, and it fails closed: an unknown role or action, or an owner-scoped action without the
// video to check, is denied.
export type Role = 'admin' | 'editor' | 'viewer';
/** Every role, highest first. */
export const roles: readonly Role[] = ['admin', 'editor', 'viewer'];

export interface Principal {
  sub: string;
  /** The vought roles the token carries, highest first. */
  roles: Role[];
  /** The highest of `roles`. */
  role: Role;
}

/**
 * Whoever sends no token, for the decisions that do not need one (reading a public or unlisted
 * video): a viewer that owns nothing (an empty `sub` owns no video).
 */
export const ANONYMOUS: Readonly<Principal> = Object.freeze<Principal>({ sub: '', roles: ['viewer'], role: 'viewer' });

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

export const actions: readonly Action[] = [
  'video.create',
  'video.upload',
  'video.update',
  'video.delete',
  'video.read',
  'video.list',
  'playback-token.create',
  'webhook.manage',
  'cache.purge',
];

/** The video an action concerns: who owns it and (optionally) who may see it. */
export interface Resource {
  owner: string;
  visibility?: string;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

const rank: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && Object.hasOwn(rank, value);
}

export function highestRole(list: readonly Role[]): Role | null {
  let best: Role | null = null;
  for (const role of list) if (isRole(role) && (best === null || rank[role] > rank[best])) best = role;
  return best;
}

const ALLOW: Decision = { allowed: true };
const deny = (reason: string): Decision => ({ allowed: false, reason });

/** Whether `principal` may do `action` (on `resource`, when the action concerns one video). */
export function authorize(principal: Principal, action: Action, resource?: Resource): Decision {
  const { role } = principal;
  if (!isRole(role)) return deny(`${action}: unknown role ${JSON.stringify(role)}`);
  if (!actions.includes(action)) return deny(`unknown action ${JSON.stringify(action)}`);
  if (role === 'admin') return ALLOW;
  const owns = resource !== undefined && principal.sub !== '' && resource.owner === principal.sub;
  switch (action) {
    case 'video.list':
      return ALLOW;
    case 'video.read':
    case 'playback-token.create':
      // Watching needs a playback token, so minting one is the same right as reading. A private
      // video is its owner's (and admins') alone.
      if (resource?.visibility === 'private' && !owns) return deny(`${action}: this video is private to its owner`);
      return ALLOW;
    case 'video.create':
    case 'webhook.manage':
      return role === 'editor' ? ALLOW : deny(`${action} needs the editor or admin role (you are ${role})`);
    case 'video.upload':
    case 'video.update':
    case 'video.delete':
      if (role !== 'editor') return deny(`${action} needs the editor or admin role (you are ${role})`);
      if (!resource) return deny(`${action} needs the video, to check that you own it`);
      return owns ? ALLOW : deny(`${action}: editors may only change their own videos`);
    case 'cache.purge':
      return deny(`${action} needs the admin role (you are ${role})`);
  }
}
