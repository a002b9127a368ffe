/**
 * The JSON that pop-core's RPC client is given in the bundle (scripts/build.mjs swaps it in for the
 * json-bigint the client requires; it calls only `parse`): big numbers stay strings of digits. IoT's
 * MessageId exceeds 2^53 and the gateway needs only its digits, while making a BigNumber of it and
 * printing it back was a measured share of each message's cost.
 */
import JSONBig from 'json-bigint'

export const { parse } = JSONBig({ storeAsString: true })
