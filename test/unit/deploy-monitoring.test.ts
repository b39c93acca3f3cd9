import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createCoreMetrics } from '../../core/metrics.js';
import { createEdgeMetrics } from '../../edge/metrics.js';
import { tempDir } from '../harness/temp.js';

const run = promisify(execFile);
const PROM = 'deploy/prometheus';
const DASHBOARD = 'deploy/grafana/zebra-dashboard.json';

/** promtool, from Debian's prometheus package (.ci/run installs it). */
async function promtool(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args);
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool is missing: apt-get install -y prometheus (see .ci/run)');
    return { code: Number(e.code), out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

interface Rule {
  alert: string;
  expr: string;
}
interface AlertTest {
  alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
}
const alertsText = await readFile(join(PROM, 'alerts.yml'), 'utf8');
const rules = (parse(alertsText) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const alertTests = (parse(await readFile(join(PROM, 'alerts.test.yml'), 'utf8')) as { tests: AlertTest[] }).tests;
const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as {
  panels: { id: number; type: string; title: string; targets?: { expr: string }[] }[];
};

/** Every metric of the real registries, with its label names (histograms with their series). */
function realMetrics(): Map<string, readonly string[]> {
  const known = new Map<string, readonly string[]>([['up', ['job', 'instance']]]);
  for (const registry of [createEdgeMetrics().registry, createCoreMetrics().registry])
    for (const metric of registry.getMetricsAsArray()) {
      const { name, labelNames } = metric as unknown as { name: string; labelNames?: string[] };
      const labels = [...(labelNames ?? []), 'instance', 'job', 'site', 'hub'];
      known.set(name, labels);
      for (const suffix of ['_bucket', '_sum', '_count']) known.set(name + suffix, [...labels, 'le']);
    }
  return known;
}

/** The metric names and the label names each selector uses, in a PromQL expression. */
function referenced(expr: string): { metric: string; labels: string[] }[] {
  const found: { metric: string; labels: string[] }[] = [];
  for (const m of expr.matchAll(/\b(zebra_[a-z0-9_]+|up)\b(\{([^}]*)\})?/g))
    found.push({ metric: m[1]!, labels: [...(m[3] ?? '').matchAll(/([a-z_]+)\s*(=~|!~|!=|=)/g)].map((l) => l[1]!) });
  return found;
}

describe('deploy/prometheus and deploy/grafana', () => {
  it('promtool accepts the scrape config (with its rule file) and the rules', async () => {
    await using work = await tempDir();
    // The CA file is the operator's (zebra pki); promtool checks that it exists.
    await mkdir(join(work.path, 'tls'));
    await writeFile(join(work.path, 'tls/ca.pem'), '');
    for (const f of ['prometheus.yml', 'alerts.yml']) await copyFile(join(PROM, f), join(work.path, f));
    const config = await promtool(['check', 'config', join(work.path, 'prometheus.yml')]);
    expect(config.code, config.out).toBe(0);
    expect(config.out).toMatch(/SUCCESS: 1 rule files found/);
    const checked = await promtool(['check', 'rules', join(PROM, 'alerts.yml')]);
    expect(checked.code, checked.out).toBe(0);
    expect(checked.out).toContain(`SUCCESS: ${rules.length} rules found`);
  }, 30_000);

  it('has every required alert, and promtool test rules passes: each fires on its constructed condition', async () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'ZebraCameraDown',
      'ZebraCheckpointStale',
      'ZebraCoreDown',
      'ZebraEdgeDown',
      'ZebraIngestStalled',
      'ZebraReviewQueueOverSla',
      'ZebraSignalStale',
      'ZebraSpoolGrowing',
    ]);
    const firing = new Set(
      alertTests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)),
    );
    for (const rule of rules) expect(firing, `a test where ${rule.alert} fires`).toContain(rule.alert);
    const result = await promtool(['test', 'rules', join(PROM, 'alerts.test.yml')]);
    expect(result.code, result.out).toBe(0);
    expect(result.out).toContain('SUCCESS');
  }, 30_000);

  it('the rule tests fail when any one rule never fires (they test the rules, not themselves)', async () => {
    await using work = await tempDir();
    const silenced = async (rule: Rule): Promise<{ code: number; out: string }> => {
      const dir = join(work.path, rule.alert);
      await mkdir(dir);
      await copyFile(join(PROM, 'alerts.test.yml'), join(dir, 'alerts.test.yml'));
      const doc = parse(alertsText) as { groups: { rules: Rule[] }[] };
      for (const g of doc.groups) for (const r of g.rules) if (r.alert === rule.alert) r.expr = 'vector(1) == 0';
      await writeFile(join(dir, 'alerts.yml'), stringify(doc));
      return promtool(['test', 'rules', join(dir, 'alerts.test.yml')]);
    };
    const results = await Promise.all(rules.map(silenced));
    rules.forEach((rule, i) => {
      expect(results[i]!.code, `${rule.alert} silenced, yet: ${results[i]!.out}`).not.toBe(0);
      expect(results[i]!.out).toContain(`alertname: ${rule.alert}`);
    });
  }, 60_000);

  it('alerts and the dashboard read only metrics and labels the edge and core registries have', () => {
    const known = realMetrics();
    const exprs = [
      ...rules.map((r) => ({ where: r.alert, expr: r.expr })),
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
    ];
    let checked = 0;
    for (const { where, expr } of exprs) {
      const refs = referenced(expr);
      expect(refs.length, `${where}: ${expr} names a metric`).toBeGreaterThan(0);
      for (const { metric, labels } of refs) {
        expect(known.has(metric), `${where}: ${metric} is not a metric of the edge or core`).toBe(true);
        for (const label of labels) expect(known.get(metric), `${where}: ${metric}{${label}}`).toContain(label);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('the dashboard is Grafana JSON with fleet, edge and core rows, unique panel ids and a query on every panel', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(['Fleet', 'Edge', 'Core']);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels.filter((x) => x.type !== 'row'))
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
  });

  it('the example site target file is valid file_sd YAML', async () => {
    const groups = parse(await readFile(join(PROM, 'edges/compose-site.yml'), 'utf8')) as {
      targets: string[];
      labels: Record<string, string>;
    }[];
    for (const g of groups) {
      for (const t of g.targets) expect(t).toMatch(/^[a-z0-9.-]+:\d+$/);
      expect(g.labels.site).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });
});
