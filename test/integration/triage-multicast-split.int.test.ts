// ./triage-multicast.int.test.ts again with delivery run as two parts, triage and dispatch with the scheduler,
// each on its own connection to reactors.db (triage-harness.ts, MSGXC_TEST_REACTORS): what an
// embedded node does with MSGXC_REACTORS_THREAD=split, where they run on two threads. Every
// assertion is that suite's own: the split must change no decision, send or event.
process.env['MSGXC_TEST_REACTORS'] = 'split';
await import('./triage-multicast.int.test.js');
