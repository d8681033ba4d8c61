// A bench peer: a fresh Ed25519 identity that completes the Spot handshake with a relay core and
// hands every later packet to `onPacket`. Shared by this package's and relay-redis's benches.
import { generatePrivateKey, IDCard, Keychain, signHandshake } from '@peerwire/crypto';
import {
  decodeHandshakeRequest,
  encodeHandshakeResponse,
  PacketType,
  readPacketType,
} from '@peerwire/wire';
import type { Relay, RelayPeer, Session } from '../src/index.js';

export async function onlinePeer(
  relay: Relay,
  remoteAddress: string,
  onPacket: (packet: Uint8Array) => void,
): Promise<{ session: Session; address: string }> {
  const self = await generatePrivateKey('Ed25519');
  const card = IDCard.create(self.publicKey).addKeychain(new Keychain().add(self));
  const blob = await card.sign(self);
  let ready!: () => void;
  const done = new Promise<void>((r) => {
    ready = r;
  });
  let session!: Session;
  const peer: RelayPeer = {
    bufferedAmount: 0,
    close() {},
    send(packet) {
      if (readPacketType(packet) !== PacketType.Handshake) {
        onPacket(packet);
        return;
      }
      const req = decodeHandshakeRequest(packet);
      if (req.ready) ready();
      else
        void signHandshake(req, self, blob).then((res) =>
          session.receive(encodeHandshakeResponse(res)),
        );
    },
  };
  session = relay.accept(peer, remoteAddress)!;
  await done;
  return { session, address: card.address };
}
