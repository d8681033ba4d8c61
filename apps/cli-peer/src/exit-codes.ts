/** The CLI's exit codes (the README's table). A module of its own: `main.ts` needs them before any command module loads. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  offline: 3,
  timeout: 4,
  remote: 5,
  /** send/recv: the password does not match any sender's. */
  wrongPassword: 6,
  /** recv: the data failed verification (tampered, corrupt, unsafe names); nothing saved. */
  rejected: 7,
  /** datt post/get: the node asks for a payment that was not given. */
  paymentRequired: 10,
} as const;
