import type { Caller } from '../../../domain/caller.js';
import { asDeviceId, asMessageId, asThreadId, asUserId } from '../../../schema/ids.js';

export const uid = asUserId;
export const tid = asThreadId;
export const mid = asMessageId;
export const did = asDeviceId;

export const caller = (id: string, admin = false): Caller => ({ uid: asUserId(id), admin });
export const alice = caller('alice');
export const bob = caller('bob');
export const carol = caller('carol');
export const root = caller('root', true);

export const T0 = new Date('2030-01-01T00:00:00.000Z');
export const later = (ms: number, from: Date = T0): Date => new Date(from.getTime() + ms);
