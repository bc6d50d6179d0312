import { Type, type Platform } from '@mikro-orm/core';
import { BaseSqlitePlatform } from '@mikro-orm/knex';
import { decodeValue, encodeValue } from '../schema/codec.js';
import type { TimeZoneMode } from '../schema/datetime.js';

// MikroORM instantiates custom types once per class (Type.getType caches them), so they cannot
// hold per-database settings. The time-zone mode rides on MikroORM's own `forceUtcTimezone`
// option, and the dialect is read off the platform.

function zoneOf(platform: Platform): TimeZoneMode {
  return platform.getConfig().get('forceUtcTimezone') ? 'utc' : 'local';
}

function dialectOf(platform: Platform): 'sqlite' | 'postgresql' {
  return platform instanceof BaseSqlitePlatform ? 'sqlite' : 'postgresql';
}

/**
 * DateTime as the Python bot stores it: naive text `YYYY-MM-DD HH:MM:SS.ffffff` on SQLite,
 * `timestamp without time zone` on PostgreSQL; a JS `Date` in entities.
 */
export class NaiveDateTimeType extends Type<Date | null | undefined, string | null | undefined> {
  override convertToDatabaseValue(value: Date | string | null | undefined, platform: Platform): string | null | undefined {
    if (value === undefined) return undefined;
    return encodeValue('datetime', value, dialectOf(platform), zoneOf(platform)) as string | null;
  }

  override convertToJSValue(value: string | Date | null | undefined, platform: Platform): Date | null | undefined {
    if (value === undefined) return undefined;
    return decodeValue('datetime', value, zoneOf(platform)) as Date | null;
  }

  override compareAsType(): string {
    return 'date';
  }

  override getColumnType(): string {
    return 'datetime';
  }
}

/** Boolean stored as 0/1 on SQLite (no CHECK constraint), native on PostgreSQL. */
export class IntBooleanType extends Type<boolean | null | undefined, number | boolean | null | undefined> {
  override convertToDatabaseValue(value: boolean | null | undefined, platform: Platform): number | boolean | null | undefined {
    if (value === undefined) return undefined;
    return encodeValue('boolean', value, dialectOf(platform), 'local') as number | boolean | null;
  }

  override convertToJSValue(value: number | boolean | null | undefined): boolean | null | undefined {
    if (value === undefined) return undefined;
    return decodeValue('boolean', value, 'local') as boolean | null;
  }

  override compareAsType(): string {
    return 'boolean';
  }

  override getColumnType(): string {
    return 'boolean';
  }
}
