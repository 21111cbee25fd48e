/**
 * One client's datacenter decision context (a DynamicSelection): the cached plan of its geo
 * network, its sticky key and ECS scope. Per query only the draw is left; each distinct
 * outcome's answer is built once and returned as the same object, so the DNS engine can keep
 * its encoded bytes. Pure apart from the injected randomness and the answer counting.
 */
import type { DynamicAnswer, DynamicSelection } from '../dns/dynamic';
import type { ZoneRecord } from '../zone/types';
import { drawDatacenter, firstPool, weightedChoice } from './datacenter-strategy';
import type { DatacenterCandidate, DatacenterPlan } from './datacenter-strategy';
import type { DcTarget } from './datacenter-services';
import type { Rand } from './random';
import type { AnswerCount } from './answer-counts';
import type { GeoPoint } from './types';

/** What a selection needs from its responder. */
export interface SelectionHost {
  /** The answer records of the picked members. */
  records(picked: DatacenterCandidate<DcTarget>[]): ZoneRecord[];
  /** The counters to bump per answer naming `members` (per member, and per member and client region when counted). */
  counters(members: readonly string[], region?: ClientRegion): AnswerCount[];
  /** The member-state version now. */
  stateVersion(): number;
  /** The geo database generation now. */
  geoGeneration(): number;
  /** The TTL cap of answers relying on provisional members now (-1: none, the grace is over). */
  graceTtl(): number;
  /** The latency map's version and minute now (0 when latency plays no part). */
  latencyStamp(): number;
}

/** Where the clients of a selection are: their country code ('' unknown) and location. */
export interface ClientRegion {
  code: string;
  location?: GeoPoint;
}

interface Outcome {
  answer: DynamicAnswer;
  /** One counter per picked member, bumped per answer. */
  counters: AnswerCount[];
}

/** A datacenter pick for one client network and query type. */
export class DatacenterSelection implements DynamicSelection {
  /** The one outcome when there is no choice (a group of one, the last resort, or sticky). */
  private readonly fixed?: Outcome;
  /** The pool a single random answer is drawn from. */
  private readonly pool?: number[];
  private readonly byIndex: (Outcome | undefined)[] = [];
  private readonly byCombination = new Map<string, Outcome>();

  constructor(
    private readonly host: SelectionHost,
    private readonly plan: DatacenterPlan<DcTarget>,
    private readonly scopePrefix: number,
    private readonly rand: Rand,
    /** The member-state version, geo generation and grace TTL cap the plan and answers were made with. */
    private readonly made: { stateVersion: number; geoGeneration: number; graceTtl: number; latency: number },
    /** Set when sticky: the subnet rendezvous hashing keys on. */
    stickyKey?: string,
    /** The group capacity spill-over placed the client in (-1: the first group with capacity). */
    private readonly landing = -1,
    /** The clients' region, for the traffic map's counters. */
    private readonly region?: ClientRegion,
  ) {
    const first = landing >= 0 ? plan.pools[landing] : firstPool(plan);
    const single = plan.options.answers === 1;
    // Sticky decisions depend only on the plan and the key: the same for every query.
    if (stickyKey !== undefined || first === undefined || (single && first.length === 1)) {
      this.fixed = this.outcome(drawDatacenter(plan, rand, stickyKey, landing));
    } else if (single) {
      this.pool = first;
    }
  }

  current(): boolean {
    if (this.host.stateVersion() !== this.made.stateVersion || this.host.geoGeneration() !== this.made.geoGeneration) return false;
    if (this.host.latencyStamp() !== this.made.latency) return false;
    // During the start-up grace the TTL cap shrinks each second; after it (-1) nothing to check
    // (the grace's end changes the state version).
    return this.made.graceTtl < 0 || this.host.graceTtl() === this.made.graceTtl;
  }

  draw(): DynamicAnswer {
    let o = this.fixed;
    if (!o) {
      if (this.pool) {
        const i = weightedChoice(this.pool, this.plan.ranked, this.rand);
        o = this.byIndex[i] ?? (this.byIndex[i] = this.outcome([i]));
      } else {
        const idx = drawDatacenter(this.plan, this.rand, undefined, this.landing);
        const k = idx.join(',');
        o = this.byCombination.get(k);
        if (!o) this.byCombination.set(k, (o = this.outcome(idx)));
      }
    }
    const c = o.counters;
    for (let i = 0; i < c.length; i++) c[i].n++;
    return o.answer;
  }

  private outcome(idx: number[]): Outcome {
    const picked = idx.map((i) => this.plan.candidates[i]);
    return { answer: { records: this.host.records(picked), scopePrefix: this.scopePrefix }, counters: this.host.counters(picked.map((c) => c.name), this.region) };
  }
}
