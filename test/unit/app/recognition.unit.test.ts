import { describe, expect, it } from 'vitest';
import { createRecognition } from '../../../app/recognition.js';
import type { Commands } from '../../../commands/types.js';
import { NOW, setup, streamTypes } from '../commands/support.js';

// The node runs the Recognize command once per user, not once per request.
const counting = () => {
  const { memory, commands } = setup();
  const runs: string[] = [];
  const recognize: Commands['recognize'] = (ctx) => {
    runs.push(ctx.actor.uid);
    return commands.recognize(ctx);
  };
  return { memory, runs, recognize };
};
const ann = { uid: 'ann', roles: [] };

describe('recognition on a node', () => {
  it('runs the command for a new user, then answers from memory without a promise', async () => {
    const { memory, runs, recognize } = counting();
    const recognise = createRecognition(recognize, () => NOW);
    await recognise(ann);
    expect(await streamTypes(memory, 'user-ann')).toEqual(['UserRecognized']);
    for (let i = 0; i < 5; i++) expect(recognise(ann)).toBeUndefined();
    expect(runs).toEqual(['ann']);
  });

  it('shares one run between concurrent first requests of a user', async () => {
    const { runs, recognize } = counting();
    const recognise = createRecognition(recognize, () => NOW);
    await Promise.all([recognise(ann), recognise(ann), recognise(ann)]);
    expect(runs).toEqual(['ann']);
  });

  it('does not remember a refused recognition', async () => {
    const { runs, recognize } = counting();
    const recognise = createRecognition(recognize, () => NOW);
    const bad = { uid: 'not/a user', roles: [] };
    await recognise(bad);
    await recognise(bad);
    expect(runs).toEqual(['not/a user', 'not/a user']);
  });

  it('forgets the least recently seen user beyond its bound', async () => {
    const { runs, recognize } = counting();
    const recognise = createRecognition(recognize, () => NOW, 2);
    await recognise(ann);
    await recognise({ uid: 'bob', roles: [] });
    expect(recognise(ann)).toBeUndefined(); // ann is now the most recent
    await recognise({ uid: 'cid', roles: [] }); // bob is forgotten
    expect(recognise(ann)).toBeUndefined();
    await recognise({ uid: 'bob', roles: [] });
    expect(runs).toEqual(['ann', 'bob', 'cid', 'bob']);
  });
});
