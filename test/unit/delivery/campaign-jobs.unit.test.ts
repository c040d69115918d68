import { describe, expect, it } from 'vitest';
import {
  campaignJobSize,
  campaignKey,
  campaignPriority,
  campaignRates,
  createCampaignJobs,
} from '../../../delivery/campaign-jobs.js';
import { createLanes } from '../../../delivery/lanes.js';
import { DEFAULT_DISPATCH_CONCURRENCY } from '../../../schema/config-triage.js';
import type { UnitState } from '../../../schema/delivery-state.js';
import type { DirectoryMessage } from '../../../schema/delivery-state.js';

// Dispatch jobs of throttled campaigns (delivery/campaign-jobs.ts): one job in flight per
// campaign and channel, of about a second of its sends; its other units wait for its next job.

const unit = (mid: string | null, i: number, urgency = 2): UnitState =>
  ({ key: `${mid ?? 'digest'}/u${String(i)}/email`, mid, uid: `u${String(i)}`, urgency }) as unknown as UnitState;
const units = (mid: string, n: number, from = 0): UnitState[] =>
  Array.from({ length: n }, (_, i) => unit(mid, from + i));
const keys = (us: readonly UnitState[]): string[] => us.map((u) => u.key);
const RATES: Record<string, number> = { slow: 3, crawl: 1 };
const rateOf = (mid: string): number | undefined => RATES[mid];

describe('campaign jobs (delivery/campaign-jobs.ts)', () => {
  it("sends a second's worth of a campaign, holds the rest as its next jobs, and leaves other messages alone", () => {
    const jobs = createCampaignJobs((rate) => rate);
    const job = [...units('slow', 10), ...units('plain', 5)];
    const a = jobs.admit('email', job, rateOf);
    expect(keys(a.send)).toEqual([...keys(units('plain', 5)), ...keys(units('slow', 3))]);
    expect(a.owned).toEqual([campaignKey('email', 'slow')]);
    expect(jobs.waiting()).toBe(7);
    // Its later jobs: three, three, one, then none (the campaign has no job in flight any more).
    expect(keys(jobs.next('email/slow') ?? [])).toEqual(keys(units('slow', 3, 3)));
    expect(keys(jobs.next('email/slow') ?? [])).toEqual(keys(units('slow', 3, 6)));
    expect(keys(jobs.next('email/slow') ?? [])).toEqual(keys(units('slow', 1, 9)));
    expect(jobs.next('email/slow')).toBeUndefined();
    expect(jobs.waiting()).toBe(0);
    // Gone: the next job of it starts a new one.
    expect(jobs.admit('email', units('slow', 2), rateOf).owned).toEqual(['email/slow']);
  });

  it('while a campaign has a job in flight, its units from another job all wait; its own queued job sends', () => {
    const jobs = createCampaignJobs((rate) => rate);
    jobs.admit('email', units('crawl', 2), rateOf);
    const other = jobs.admit('email', [...units('crawl', 4, 2), unit('plain', 0)], rateOf);
    expect(keys(other.send)).toEqual([unit('plain', 0).key]);
    expect(other.owned).toEqual([]);
    expect(jobs.waiting()).toBe(5);
    const next = jobs.next('email/crawl') ?? [];
    expect(next).toHaveLength(1);
    const own = jobs.admit('email', next, rateOf, 'email/crawl');
    expect(keys(own.send)).toEqual(keys(next));
    expect(own.owned).toEqual([]); // its owner ends it
    // Another channel of the same message is another campaign job.
    expect(jobs.admit('sms', units('crawl', 1), rateOf).owned).toEqual(['sms/crawl']);
  });

  it('sizes a campaign job by this process share of the rate, at least one, at most the channel job size', () => {
    expect(campaignJobSize(3, undefined, 4000)).toBe(3);
    expect(campaignJobSize(50_000, undefined, 4000)).toBe(4000);
    expect(campaignJobSize(50, undefined, 10)).toBe(10); // a channel limit of 10/s
    const halves = { part: (n: number) => Math.floor(n / 2), known: () => Promise.resolve() };
    expect(campaignJobSize(50, halves, 4000)).toBe(25);
    expect(campaignJobSize(1, halves, 4000)).toBe(1);
    const deaf = { part: () => undefined, known: () => Promise.resolve() };
    expect(campaignJobSize(50, deaf, 4000)).toBe(1);
  });

  it("reads each message's campaign limit on the channel once, a bad or absent one as none", async () => {
    const opts: Record<string, unknown> = {
      slow: { throttle: { email: 3 } },
      bad: { throttle: { email: 0 } },
      plain: {},
    };
    const reads: string[] = [];
    const dir = {
      message: (mid: string) => {
        reads.push(mid);
        const o = opts[mid];
        return Promise.resolve(o === undefined ? undefined : ({ data: { opts: o } } as unknown as DirectoryMessage));
      },
    };
    const rates = await campaignRates(dir, 'email', [
      ...units('slow', 3),
      ...units('bad', 2),
      ...units('plain', 2),
      unit('gone', 0),
      unit(null, 1),
    ]);
    expect([...rates]).toEqual([['slow', 3]]);
    expect(reads).toEqual(['slow', 'bad', 'plain', 'gone']);
    expect([...(await campaignRates(dir, 'sms', units('slow', 1)))]).toEqual([]);
  });

  it("queues a campaign's next job after every other job of its urgency, before a lower urgency's", async () => {
    const lanes = createLanes({ ...DEFAULT_DISPATCH_CONCURRENCY, email: 1 }, (_, e) => {
      throw e;
    });
    const order: string[] = [];
    let release: () => void = () => undefined;
    const running = new Promise<void>((r) => (release = r));
    const job = (name: string, wait?: Promise<void>) => async () => {
      order.push(name);
      await wait;
    };
    lanes.run('email', job('campaign first job', running), 3);
    // While it runs (the one email slot): a campaign's next job, then messages that came meanwhile.
    lanes.run('email', job('campaign next job'), campaignPriority(3));
    lanes.run('email', job('plain urgency 3'), 3);
    lanes.run('email', job('plain urgency 2'), 2);
    lanes.run('email', job('another campaign next job'), campaignPriority(3));
    lanes.run('email', job('urgent'), 4);
    release();
    await lanes.idle();
    expect(order).toEqual([
      'campaign first job',
      'urgent',
      'plain urgency 3',
      'campaign next job',
      'another campaign next job',
      'plain urgency 2',
    ]);
  });
});
