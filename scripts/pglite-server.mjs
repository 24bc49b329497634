#!/usr/bin/env node
// A throwaway PostgreSQL with pgvector on 127.0.0.1, for tests and trying --store without a server:
// PGlite (Postgres compiled to WASM) with its pgvector extension, served over the wire protocol by
// pglite-socket. Prints "listening HOST:PORT" once ready; stops on SIGINT/SIGTERM.
//   node scripts/pglite-server.mjs [--port N] [--data-dir DIR]   (default: a random port, in memory)
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const db = await PGlite.create({ dataDir: arg('--data-dir'), extensions: { vector } });
const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: Number(arg('--port') ?? 0) });
await server.start();
console.log(`listening ${server.getServerConn()}`);
const stop = async () => { await server.stop(); await db.close(); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
