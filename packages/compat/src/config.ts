import type { BotDbConfig } from '@botdb/core';

/**
 * The Python bot's `[database]` section (`bot_config.toml`), as `initialize_sql_database`
 * received it. Unknown keys are ignored, as pydantic did.
 */
export interface PyDatabaseConfig {
  database_type?: 'sqlite' | 'postgresql' | 'mysql' | string;
  /** Relative paths resolve against the working directory (the bot's project root). */
  sqlite_path?: string;
  postgresql_host?: string;
  postgresql_port?: number;
  postgresql_database?: string;
  postgresql_user?: string;
  postgresql_password?: string;
  postgresql_schema?: string;
  postgresql_ssl_mode?: string;
  connection_pool_size?: number;
  connection_timeout?: number;
  [key: string]: unknown;
}

const PY_DEFAULTS = Object.freeze({
  sqlite_path: 'data/MaiBot.db',
  postgresql_host: 'localhost',
  postgresql_port: 5432,
  postgresql_database: 'maibot',
  postgresql_user: 'postgres',
  postgresql_password: '',
  postgresql_schema: 'public',
  connection_pool_size: 10,
});

/** Maps the Python `[database]` keys onto a botdb config. MySQL is not supported (throws). */
export function fromPythonConfig(py: PyDatabaseConfig): BotDbConfig {
  const type = py.database_type ?? 'sqlite';
  if (type === 'sqlite') {
    return { url: `sqlite:${py.sqlite_path ?? PY_DEFAULTS.sqlite_path}` };
  }
  if (type === 'postgresql') {
    const user = encodeURIComponent(py.postgresql_user ?? PY_DEFAULTS.postgresql_user);
    const password = py.postgresql_password ?? PY_DEFAULTS.postgresql_password;
    const auth = password ? `${user}:${encodeURIComponent(password)}` : user;
    const host = py.postgresql_host ?? PY_DEFAULTS.postgresql_host;
    const port = py.postgresql_port ?? PY_DEFAULTS.postgresql_port;
    const dbName = encodeURIComponent(py.postgresql_database ?? PY_DEFAULTS.postgresql_database);
    const ssl = py.postgresql_ssl_mode && py.postgresql_ssl_mode !== 'disable' ? `?sslmode=${encodeURIComponent(py.postgresql_ssl_mode)}` : '';
    return {
      url: `postgres://${auth}@${host}:${port}/${dbName}${ssl}`,
      postgresql: {
        schema: py.postgresql_schema ?? PY_DEFAULTS.postgresql_schema,
        poolSize: py.connection_pool_size ?? PY_DEFAULTS.connection_pool_size,
      },
    };
  }
  throw new Error(`database_type "${type}" is not supported by botdb: use "sqlite" or "postgresql".`);
}

/** True if `value` looks like the Python `[database]` section rather than a botdb config. */
export function isPythonConfig(value: object): value is PyDatabaseConfig {
  return Object.keys(value).some((k) => k === 'database_type' || k === 'sqlite_path' || k.startsWith('postgresql_') || k.startsWith('mysql_'));
}
