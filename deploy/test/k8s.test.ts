// The kustomize overlays, rendered by `kubectl kustomize` as `kubectl apply -k` would, then checked
// object by object: schema validation (kubernetes-models, KEDA and Prometheus Operator models),
// every environment variable known to @vought/config, probes, resources, non-root pods, drains,
// autoscalers aimed at Deployments that exist, and no committed credentials in production.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { PodMonitor, PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { variables } from '@vought/config';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const deploy = path.resolve(import.meta.dirname, '..');
const overlays = ['dev', 'production'];
const kubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!kubectl && process.env.CI === 'true') throw new Error('CI=true and kubectl is missing: it renders the overlays (kubectl kustomize)');

// biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
type Obj = Record<string, any>;

// biome-ignore lint/suspicious/noExplicitAny: each model takes its own input type; rendered objects are untyped
const models: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/Job': Job,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

function render(overlay: string): Obj[] {
  const text = execFileSync('kubectl', ['kustomize', path.join(deploy, 'k8s/overlays', overlay)], { stdio: 'pipe' }).toString();
  return parseAllDocuments(text).map((d) => d.toJSON() as Obj);
}

/** Names of the environment variables an object sets or reads, wherever they appear. */
function envNames(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const m of value.matchAll(/\b(VOUGHT_[A-Z0-9_]+|OTEL_[A-Z0-9_]+)\b/g)) out.add(m[1] as string);
  } else if (Array.isArray(value)) for (const v of value) envNames(v, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (/^(VOUGHT_|OTEL_)[A-Z0-9_]+$/.test(k) || ['PORT', 'EDGE_PORT', 'ENCODER_PORT'].includes(k)) out.add(k);
      envNames(v, out);
    }
  return out;
}

/** Env var names set through `env:` lists (name/value pairs) and ConfigMap/Secret data keys. */
function declaredEnv(objects: Obj[]): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (o.kind === 'ConfigMap' || o.kind === 'Secret') for (const k of Object.keys({ ...o.data, ...o.stringData })) out.add(k);
    for (const c of o.spec?.template?.spec?.containers ?? []) for (const e of c.env ?? []) out.add(e.name);
  }
  return out;
}

const known = new Set(Object.keys(variables));
/** Variables other programs read (the in-cluster dependencies of the dev overlay, tools). */
const foreign = /^(POSTGRES_|PGDATA$|MINIO_|MC_|ACCESS$|SECRET$)/;

describe.skipIf(!kubectl)(`kustomize overlays${kubectl ? '' : ' (skipped: kubectl not installed; with CI=true this fails)'}`, () => {
  for (const overlay of overlays) {
    describe(overlay, () => {
      const objects = kubectl ? render(overlay) : [];
      const vought = objects.filter((o) => o.kind === 'Deployment' && /^vought-/.test(o.metadata.name));
      const deployments = new Set(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name as string));

      it('renders origin, encoder and edge with their Services, PDBs, autoscalers and monitors', () => {
        expect([...deployments]).toEqual(expect.arrayContaining(['vought-origin', 'vought-encoder', 'vought-edge']));
        const names = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
        expect(names('Service')).toEqual(expect.arrayContaining(['vought-origin', 'vought-edge']));
        expect(names('PodDisruptionBudget').sort()).toEqual(['vought-edge', 'vought-encoder', 'vought-origin']);
        expect(names('HorizontalPodAutoscaler').sort()).toEqual(['vought-edge', 'vought-origin']);
        expect(names('ScaledObject')).toEqual(['vought-encoder']);
        expect(names('ServiceMonitor')).toHaveLength(1);
        expect(names('PodMonitor')).toHaveLength(1);
        expect(names('PrometheusRule')).toHaveLength(1);
      });

      it('validates every object against its schema', () => {
        for (const o of objects) {
          const key = `${o.apiVersion}/${o.kind}`;
          const Model = models[key];
          expect(Model, `no schema for ${key}`).toBeDefined();
          expect(() => new (Model as NonNullable<typeof Model>)(o).validate(), `${key} ${o.metadata?.name}`).not.toThrow();
        }
      });

      it('uses only variables @vought/config knows', () => {
        const used = new Set([...envNames(objects), ...declaredEnv(objects)].filter((n) => !foreign.test(n)));
        expect([...used].filter((n) => !known.has(n))).toEqual([]);
        expect(used.size).toBeGreaterThan(10);
      });

      it('probes /readyz (startup, readiness) and /healthz (liveness) on the port the service listens on', () => {
        const portVar = { origin: 'PORT', edge: 'EDGE_PORT', encoder: 'ENCODER_PORT' } as const;
        for (const d of vought) {
          const service = d.metadata.name.replace('vought-', '') as keyof typeof portVar;
          const [c] = d.spec.template.spec.containers;
          expect(c.startupProbe.httpGet.path, d.metadata.name).toBe('/readyz');
          expect(c.readinessProbe.httpGet.path, d.metadata.name).toBe('/readyz');
          expect(c.livenessProbe.httpGet.path, d.metadata.name).toBe('/healthz');
          const port = c.ports.find((p: Obj) => p.name === c.readinessProbe.httpGet.port)?.containerPort;
          const env = c.env.find((e: Obj) => e.name === portVar[service]);
          expect(String(port), d.metadata.name).toBe(env?.value);
          expect(c.args, d.metadata.name).toEqual([service]);
        }
      });

      it('sets requests and limits, and runs non-root with a read-only root filesystem', () => {
        for (const d of objects.filter((o) => ['Deployment', 'Job'].includes(o.kind))) {
          const pod = d.spec.template.spec;
          expect(pod.securityContext?.runAsNonRoot, d.metadata.name).toBe(true);
          expect(pod.automountServiceAccountToken, d.metadata.name).toBe(false);
          for (const c of pod.containers) {
            for (const r of ['cpu', 'memory']) {
              expect(c.resources?.requests?.[r], `${d.metadata.name} requests.${r}`).toBeDefined();
              expect(c.resources?.limits?.[r], `${d.metadata.name} limits.${r}`).toBeDefined();
            }
            expect(c.securityContext?.allowPrivilegeEscalation, d.metadata.name).toBe(false);
            expect(c.securityContext?.capabilities?.drop, d.metadata.name).toEqual(['ALL']);
          }
        }
        for (const d of vought) {
          const [c] = d.spec.template.spec.containers;
          expect(d.spec.template.spec.securityContext.runAsUser, d.metadata.name).toBeGreaterThan(0);
          expect(c.securityContext.readOnlyRootFilesystem, d.metadata.name).toBe(true);
          expect(
            c.volumeMounts.map((m: Obj) => m.mountPath),
            d.metadata.name,
          ).toEqual(expect.arrayContaining(['/data', '/tmp']));
        }
      });

      it('drains: preStop sleep on origin and edge, grace periods sized to the work', () => {
        for (const d of vought) {
          const pod = d.spec.template.spec;
          if (d.metadata.name === 'vought-encoder') {
            expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(overlay === 'production' ? 600 : 60);
            continue;
          }
          expect(pod.containers[0].lifecycle.preStop.exec.command[0], d.metadata.name).toBe('sleep');
          const sleep = Number(pod.containers[0].lifecycle.preStop.exec.command[1]);
          expect(pod.terminationGracePeriodSeconds, d.metadata.name).toBeGreaterThanOrEqual(30);
          expect(pod.terminationGracePeriodSeconds, d.metadata.name).toBeLessThanOrEqual(60);
          expect(sleep).toBeLessThan(pod.terminationGracePeriodSeconds - 15);
        }
      });

      it('spreads pods over zones and nodes, and keeps one at a time out in disruptions', () => {
        for (const d of vought) {
          const keys = d.spec.template.spec.topologySpreadConstraints.map((t: Obj) => t.topologyKey);
          expect(keys, d.metadata.name).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
          for (const t of d.spec.template.spec.topologySpreadConstraints)
            expect(t.labelSelector.matchLabels, d.metadata.name).toEqual(d.spec.selector.matchLabels);
        }
        for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
          const target = vought.find((d) => d.metadata.name === pdb.metadata.name);
          expect(pdb.spec.selector.matchLabels).toEqual(target?.spec.selector.matchLabels);
        }
      });

      it('autoscales Deployments that exist: HPA on CPU for origin and edge, KEDA on the encode consumer lag', () => {
        for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
          expect(hpa.spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
          expect(deployments.has(hpa.spec.scaleTargetRef.name), hpa.spec.scaleTargetRef.name).toBe(true);
          expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
          expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
        }
        const [scaled] = objects.filter((o) => o.kind === 'ScaledObject');
        expect(deployments.has(scaled?.spec.scaleTargetRef.name)).toBe(true);
        // the stream and consumer packages/bus/src/nats-bus.ts creates for the encode queue
        expect(scaled?.spec.triggers).toEqual([
          expect.objectContaining({
            type: 'nats-jetstream',
            metadata: expect.objectContaining({ stream: 'JOBS', consumer: 'encode-workers', lagThreshold: expect.any(String) }),
          }),
        ]);
        const bus = fs.readFileSync(path.join(deploy, '../packages/bus/src/nats-bus.ts'), 'utf8');
        expect(bus).toContain(['return `$', '{this.ns}JOBS`;'].join(''));
        expect(bus).toContain(['const durable = `$', '{queue}-workers`;'].join(''));
        expect(fs.readFileSync(path.join(deploy, '../packages/bus/src/messages.ts'), 'utf8')).toContain("encodeQueue: 'encode'");
      });

      it('takes credentials from a Secret by reference', () => {
        for (const d of vought) {
          const refs = d.spec.template.spec.containers[0].envFrom;
          expect(
            refs.some((r: Obj) => r.secretRef?.name?.startsWith('vought-credentials')),
            d.metadata.name,
          ).toBe(true);
          // no credential as a literal env value
          for (const e of d.spec.template.spec.containers[0].env ?? [])
            expect(/DATABASE_URL|SECRET|ACCESS_KEY|REDIS_URL/.test(e.name) && e.value !== undefined, e.name).toBe(false);
        }
        const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('vought-config'));
        for (const key of Object.keys(config?.data ?? {})) expect(key, 'a credential in the ConfigMap').not.toMatch(/SECRET|ACCESS_KEY/);
        if (overlay === 'production') {
          expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
          // no password in a URL in the ConfigMap
          for (const value of Object.values(config?.data ?? {})) expect(String(value)).not.toMatch(/:\/\/[^/@\s]*:[^/@\s]+@/);
        }
      });

      it('scrapes every service with job names the alerts use', () => {
        const sm = objects.find((o) => o.kind === 'ServiceMonitor') as Obj;
        const pm = objects.find((o) => o.kind === 'PodMonitor') as Obj;
        expect(sm.spec.jobLabel).toBe('app.kubernetes.io/name');
        expect(pm.spec.jobLabel).toBe('app.kubernetes.io/name');
        const services = objects.filter((o) => o.kind === 'Service' && o.metadata.name.startsWith('vought-'));
        for (const s of services) {
          const labels = s.metadata.labels;
          for (const m of sm.spec.selector.matchExpressions) expect(m.values, s.metadata.name).toContain(labels[m.key]);
          expect(s.spec.ports.map((p: Obj) => p.name)).toContain(sm.spec.endpoints[0].port);
        }
        const encoder = vought.find((d) => d.metadata.name === 'vought-encoder');
        expect(encoder?.spec.template.metadata.labels).toMatchObject(pm.spec.selector.matchLabels);
      });
    });
  }

  it('the PrometheusRule carries exactly the groups of deploy/prometheus/*.yml', () => {
    const rule = parse(fs.readFileSync(path.join(deploy, 'k8s/base/prometheus-rule.yaml'), 'utf8')) as Obj;
    const files = ['recording.yml', 'alerts.yml'].flatMap(
      (f) => (parse(fs.readFileSync(path.join(deploy, 'prometheus', f), 'utf8')) as Obj).groups,
    );
    expect(rule.spec.groups).toEqual(files);
  });
});

describe('compose.yaml', () => {
  it('uses only variables @vought/config knows', () => {
    const compose = parse(fs.readFileSync(path.join(deploy, 'compose.yaml'), 'utf8'), { merge: true }) as Obj;
    const used = new Set<string>();
    for (const service of Object.values(compose.services as Obj))
      for (const name of Object.keys(service.environment ?? {}))
        if (/^(VOUGHT_|OTEL_)|^(PORT|EDGE_PORT|ENCODER_PORT)$/.test(name)) used.add(name);
    for (const name of envNames(compose)) used.add(name);
    expect([...used].filter((n) => !known.has(n))).toEqual([]);
    expect(used.size).toBeGreaterThan(10);
  });
});
