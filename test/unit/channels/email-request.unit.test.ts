import { describe, expect, it } from 'vitest';
import { emailFor } from '../../../adapters/channels/email-mapper.js';
import type { Content, Delivery, EmailRecipient } from '../../../ports/channel.js';
import type { JsonObject } from '../../../schema/json.js';
import { sampleMessage } from '../../contract/channel.contract.js';

// webservice-notification's per-request email (POST /notify keeps email_content/email_type in
// opts.email): the body as given replaces our template's; the subject still comes from the message.
const delivery = (opts: JsonObject, content: Content['kind'] = 'message'): Delivery<EmailRecipient> => {
  const message = sampleMessage({ msg: 'the notification text', subject: 'Urgent', opts });
  return {
    id: 'd1',
    attempt: 0,
    to: { channel: 'email', uid: 'ann', address: 'ann@example.com' },
    content: content === 'message' ? { kind: 'message', message } : { kind: 'digest', messages: [message] },
  };
};
const settings = { from: 'noreply@example.com', templates: {} };

describe('an email with the content its request gave', () => {
  it('HTML by default (the seed default text/html): the markup as given, a text part without tags', () => {
    const m = emailFor(
      delivery({ email: { content: '<p>Hello <b>Ann</b> &amp; co</p><p>Bye</p><script>x()</script>' } }),
      settings,
    );
    expect(m.subject).toBe('Urgent');
    expect(m.html).toBe('<p>Hello <b>Ann</b> &amp; co</p><p>Bye</p><script>x()</script>');
    expect(m.text).toBe('Hello Ann & co\nBye');
  });

  it('text/plain: the text as given, the HTML part escapes it', () => {
    const m = emailFor(delivery({ email: { content: 'a < b & <i>not markup</i>', type: 'text/plain' } }), settings);
    expect(m.text).toBe('a < b & <i>not markup</i>');
    expect(m.html).toContain('<pre>a &lt; b &amp; &lt;i&gt;not markup&lt;/i&gt;</pre>');
  });

  it('without content (or in a digest) the template renders the message as before', () => {
    for (const d of [delivery({ email: { subject: 'x' } }), delivery({ email: { content: '<b>x</b>' } }, 'digest')]) {
      const m = emailFor(d, settings);
      expect(m.text).toContain('the notification text');
      expect(m.html).not.toContain('<b>x</b>');
    }
  });
});
