/** Statement counting: data statements only, so that implementations compare fairly. */

const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback|savepoint|release|start transaction)\b/i;

/**
 * True for BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE. botdb reports its own statements but not the
 * transaction control around them, while MikroORM's logger reports both; counts exclude these.
 */
export function isTransactionControl(sql: string): boolean {
  return TRANSACTION_CONTROL.test(sql);
}
