import { describe, expect, it } from 'vitest';
import { describeErrors } from '../../../schema/errors.js';
import { NotifyBody } from '../../../schema/notify.js';

// `POST /notify` takes `users` as a list or as the JSON document of one (a form field). Either
// way a bad element is named by its index, and a field's name is said once.
const errorsOf = (body: unknown): string[] => {
  const r = NotifyBody.decode(body);
  return r._tag === 'Left' ? describeErrors(r.left) : [];
};

describe('notify users', () => {
  it('names the element of a list given as a JSON document, as of a list given as it is', () => {
    const users = [{ id: 1 }, { id: 2 }, { id: true }];
    expect(errorsOf({ content: 'hi', users })).toEqual([expect.stringMatching(/^users\.2\.id: /)]);
    expect(errorsOf({ content: 'hi', users: JSON.stringify(users) })).toEqual([
      expect.stringMatching(/^users\.2\.id: /),
    ]);
  });

  it('says what a users field that is no JSON document should be, naming the field once', () => {
    const [message] = errorsOf({ content: 'hi', users: 'notjson' });
    expect(message).toMatch(/^users: expected a list of users, or its JSON document \(got "notjson"\)$/);
    const [long] = errorsOf({ content: 'hi', users: ' '.repeat(2_000_001) });
    expect(long).toMatch(/^users: expected a JSON document of at most 2,000,000 characters /);
  });

  it('takes a list in either form', () => {
    expect(errorsOf({ content: 'hi', users: '[{"id":1,"email":null}]' })).toEqual([]);
    expect(errorsOf({ content: 'hi', users: [{ id: 'u-1' }] })).toEqual([]);
  });
});
