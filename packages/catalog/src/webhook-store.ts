// Webhook subscriptions and their delivery queue, written once for both engines over a
// SqlSession. Deliveries are claimed with a lease: the claim moves next_attempt_at past the
// lease, so a worker that dies mid-attempt only delays its delivery (at least once).
import { CatalogError } from './catalog-error.ts';
import { columnLists, type DeliveryRow, toDelivery, toWebhook, type WebhookRow } from './catalog-rows.ts';
import type { NewDelivery, NewWebhook, Webhook, WebhookDelivery, WebhookStore } from './catalog-types.ts';
import type { SqlSession } from './sql-session.ts';
import {
  checkBatch,
  checkEventType,
  checkId,
  checkLease,
  checkNewDelivery,
  checkNewWebhook,
  checkOutcome,
  shortError,
} from './webhook-validation.ts';

export class SqlWebhookStore implements WebhookStore {
  private readonly columns: { webhooks: string; deliveries: string };

  constructor(private readonly session: SqlSession) {
    this.columns = columnLists(session.dialect);
  }

  async createWebhook(hook: NewWebhook): Promise<Webhook> {
    checkNewWebhook(hook);
    const p = this.session.params();
    const row = await this.session.insert<WebhookRow>(
      `INSERT INTO webhooks (id, owner, url, secret, events, created_at)
       VALUES (${p.add(hook.id)}, ${p.add(hook.owner)}, ${p.add(hook.url)}, ${p.add(hook.secret)}, ${p.add(hook.events, 'json')},
         ${this.session.now(p)})
       RETURNING ${this.columns.webhooks}`,
      p,
      { exists: () => new CatalogError('catalog.conflict', `webhook ${hook.id} exists`, { id: hook.id }) },
    );
    return toWebhook(row);
  }

  async getWebhook(id: string): Promise<Webhook> {
    const p = this.session.params();
    const { rows } = await this.session.query<WebhookRow>(
      'select',
      `SELECT ${this.columns.webhooks} FROM webhooks WHERE id = ${p.add(id)}`,
      p,
    );
    if (!rows[0]) throw new CatalogError('catalog.not_found', `no webhook ${id}`, { id });
    return toWebhook(rows[0]);
  }

  async listWebhooks(owner: string): Promise<Webhook[]> {
    const p = this.session.params();
    const { rows } = await this.session.query<WebhookRow>(
      'select',
      `SELECT ${this.columns.webhooks} FROM webhooks WHERE owner = ${p.add(owner)} ORDER BY webhooks.created_at, webhooks.id`,
      p,
    );
    return rows.map(toWebhook);
  }

  async webhooksFor(eventType: string, owner?: string): Promise<Webhook[]> {
    checkEventType(eventType);
    const p = this.session.params();
    const byOwner = p.add(owner ?? null, 'text');
    const { rows } = await this.session.query<WebhookRow>(
      'select',
      `SELECT ${this.columns.webhooks} FROM webhooks
       WHERE (${byOwner} IS NULL OR owner = ${byOwner}) AND ${this.session.dialect.holdsAny('events', [eventType, '*'], p)}
       ORDER BY webhooks.created_at, webhooks.id`,
      p,
    );
    return rows.map(toWebhook);
  }

  async deleteWebhook(id: string): Promise<void> {
    // Deliveries go with it: ON DELETE CASCADE (SQLite enforces it: foreign_keys is on).
    const p = this.session.params();
    const { rowCount } = await this.session.query('delete', `DELETE FROM webhooks WHERE id = ${p.add(id)}`, p);
    if (!rowCount) throw new CatalogError('catalog.not_found', `no webhook ${id}`, { id });
  }

  async enqueueDelivery(input: NewDelivery): Promise<WebhookDelivery> {
    checkNewDelivery(input);
    const p = this.session.params();
    const at = this.session.now(p);
    // The foreign key tells a deleted webhook (missing reference) in the same statement.
    const row = await this.session.insert<DeliveryRow>(
      `INSERT INTO webhook_deliveries (id, webhook_id, event, status, attempts, last_error, next_attempt_at, created_at)
       VALUES (${p.add(input.id)}, ${p.add(input.webhookId)}, ${p.add(input.event, 'json')}, 'pending', 0, NULL,
         COALESCE(${p.add(input.nextAttemptAt ?? null, 'timestamp')}, ${at}), ${at})
       RETURNING ${this.columns.deliveries}`,
      p,
      {
        exists: () => new CatalogError('catalog.conflict', `delivery ${input.id} exists`, { id: input.id }),
        missingReference: () => new CatalogError('catalog.not_found', `no webhook ${input.webhookId}`, { id: input.webhookId }),
      },
    );
    return toDelivery(row);
  }

  async claimDeliveries(options: { limit: number; leaseMs: number }): Promise<WebhookDelivery[]> {
    const limit = checkBatch(options?.limit, 'limit');
    const leaseMs = checkLease(options.leaseMs);
    const d = this.session.dialect;
    // Pick the due rows, then lease them, in one transaction: SQLite holds the write lock
    // throughout; PostgreSQL locks the picked rows (claimLock: SKIP LOCKED), so origins claiming
    // at the same moment take disjoint rows instead of queueing on each other.
    return this.session.transaction('claim', async (tx) => {
      const p = this.session.params();
      const due = await this.session.query<{ id: string }>(
        'select',
        `SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ${this.session.now(p)}
         ORDER BY next_attempt_at, id LIMIT ${p.add(limit)}${d.claimLock}`,
        p,
        tx,
      );
      const ids = due.rows.map((row) => row.id);
      if (!ids.length) return [];
      const q = this.session.params();
      const { rows } = await this.session.query<DeliveryRow>(
        'update',
        `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ${d.plus(this.session.now(q), q.add(leaseMs))}
         WHERE ${d.isIn('id', ids, q)} RETURNING ${this.columns.deliveries}`,
        q,
        tx,
      );
      // RETURNING has no order: oldest due first, as picked.
      const rank = new Map(ids.map((id, i) => [id, i]));
      return rows.sort((a, b) => (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0)).map(toDelivery);
    });
  }

  async recordAttempt(
    id: string,
    outcome: { delivered: true } | { delivered: false; error: string; retryAt: string | null },
  ): Promise<WebhookDelivery> {
    checkOutcome(outcome);
    const [status, lastError, next] = outcome.delivered
      ? (['delivered', null, null] as const)
      : ([outcome.retryAt ? 'pending' : 'failed', shortError(outcome.error), outcome.retryAt] as const);
    const p = this.session.params();
    const { rows } = await this.session.query<DeliveryRow>(
      'update',
      `UPDATE webhook_deliveries SET status = ${p.add(status)}, last_error = ${p.add(lastError, 'text')},
         next_attempt_at = ${p.add(next, 'timestamp')}
       WHERE id = ${p.add(id)} RETURNING ${this.columns.deliveries}`,
      p,
    );
    if (!rows[0]) throw new CatalogError('catalog.not_found', `no delivery ${id}`, { id });
    return toDelivery(rows[0]);
  }

  async listDeliveries(webhookId: string, limit?: number): Promise<WebhookDelivery[]> {
    checkId(webhookId, 'webhookId');
    const max = checkBatch(limit, 'limit', 20);
    const p = this.session.params();
    const { rows } = await this.session.query<DeliveryRow>(
      'select',
      `SELECT ${this.columns.deliveries} FROM webhook_deliveries WHERE webhook_id = ${p.add(webhookId)}
       ORDER BY webhook_deliveries.created_at DESC, webhook_deliveries.id DESC LIMIT ${p.add(max)}`,
      p,
    );
    return rows.map(toDelivery);
  }
}
