import * as t from 'io-ts';
import { boundedString } from './bounds.js';

// Contact points as stored. The domain normalises what a client sends (trims an address,
// drops the separators people type in phone numbers) and then checks it with these codecs,
// so a stored contact point always decodes.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// E.164 allows 15 digits; 7 is the shortest plausible subscriber number with a country code.
const CELL = /^\+?[1-9]\d{6,14}$/;

/** RFC 5321 caps a path at 256 octets, so an address at 254 characters. */
export const EmailAddress = t.refinement(t.string, (s) => s.length <= 254 && EMAIL.test(s), 'EmailAddress');
export const CellNumber = t.refinement(t.string, (s) => CELL.test(s), 'CellNumber');

/** What a request may carry before normalisation: bounded, so nothing unbounded reaches the domain. */
export const ContactInput = t.union([boundedString(0, 320), t.null], 'ContactInput');
