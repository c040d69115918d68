import { vapidKeyPair } from '../../adapters/channels/webpush.js';

// `msgxc vapid-keys`: a new web push key pair, as the two variables that configure it.
export const printVapidKeys = (): void => {
  const keys = vapidKeyPair();
  process.stdout.write(`MSGXC_VAPID_PUBLIC_KEY=${keys.publicKey}\nMSGXC_VAPID_PRIVATE_KEY=${keys.privateKey}\n`);
};
