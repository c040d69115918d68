import { linkOf } from './content.js';
import type { Content } from '../../ports/channel.js';
import { countOf, leadOf } from './outcome.js';

// Our content -> one SMS text of at most `maxLength` characters (Unicode code points, so an
// emoji is never cut in half), ending with the deep link when a public base URL is set: the
// text is shortened with an ellipsis, the link never is. Whitespace runs become one space.
export const smsText = (content: Content, maxLength: number, linkBase: string | undefined): string => {
  const m = leadOf(content);
  const count = countOf(content);
  const text = (count > 1 ? `${count} new messages. Latest from ${m.from}: ${m.msg}` : m.msg)
    .replace(/\s+/g, ' ')
    .trim();
  const link = linkOf(linkBase, m);
  const tail = link !== undefined && Array.from(link).length + 2 <= maxLength ? ` ${link}` : '';
  const room = maxLength - Array.from(tail).length;
  const chars = Array.from(text);
  const body =
    chars.length <= room
      ? text
      : `${chars
          .slice(0, Math.max(0, room - 1))
          .join('')
          .trimEnd()}…`;
  return `${body}${tail}`.trim();
};
