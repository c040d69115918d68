import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import type { Device } from '../schema/devices.js';
import { pushEndpointProblem, type PushHosts } from '../schema/push-endpoint.js';
import { unprocessable } from './errors.js';
import type { DomainError } from './errors.js';

/**
 * A device may be enlisted only if the broker may deliver to it: a web push endpoint must be
 * an https URL of an allowed push service (schema/push-endpoint.ts). Checked before the
 * user's stream is touched, like a message's content.
 */
export const checkDevice = (device: Device, allowedPushHosts: PushHosts): Either<DomainError, Device> => {
  if ('os' in device) return E.right(device);
  const problem = pushEndpointProblem(device.endpoint, allowedPushHosts);
  return problem === undefined ? E.right(device) : E.left(unprocessable('PushEndpointIsNotAllowed', problem));
};
