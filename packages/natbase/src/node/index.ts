// Node I/O for natbase (the base server's and the host agent's sockets) is not written yet.
export {};
