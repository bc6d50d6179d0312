/** Another process for the busy-database test: holds SQLite's write lock for a while, then commits. */
import Database from 'better-sqlite3';

const [file, ms] = process.argv.slice(2);
const db = new Database(file!);
db.exec('BEGIN IMMEDIATE');
db.prepare("INSERT INTO chat_streams (stream_id, create_time, last_active_time, platform, user_platform, user_id, user_nickname) VALUES ('other', 1, 1, 'qq', 'qq', 'u', 'n')").run();
process.stdout.write('LOCKED\n');
setTimeout(() => {
  db.exec('COMMIT');
  db.close();
}, Number(ms));
