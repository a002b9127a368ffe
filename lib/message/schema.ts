/**
 * The simplified message callers send, as a JSON Schema (draft 2020-12). This is the single source of
 * the message's shape: the validator is compiled from it. Rules that span fields (one way to name the
 * topic, one payload field) are checked in `rules.ts`.
 */

/** One message as a caller sends it. */
export interface PublishMessage {
  productKey: string
  deviceName?: string
  topic?: string
  topicFullName?: string
  payload?: unknown
  payloadBase64?: string
  qos?: 0 | 1
  responseTopic?: string
  correlationData?: string
  userProperties?: Record<string, string>
  /** The caller's key for publishing this message once; never sent to IoT. */
  idempotencyKey?: string
}

/** Characters of a device name, which also appear as a level of a full topic. */
const NAME = '[A-Za-z0-9_.:@-]'
/** Characters of a custom topic's own levels (after `/user/`). */
const LEVEL = '[A-Za-z0-9_]'
/** Printable text: no control characters (C0, DEL, C1). */
const PRINTABLE = '^[^\\p{Cc}]*$'

export const MAX_TOPIC_LENGTH = 128
export const MAX_USER_PROPERTIES = 20
/** Longest idempotency key, as a message field or the `Idempotency-Key` header. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255

/** JSON Schema of `PublishMessage`. */
export const messageSchema = {
  $id: 'https://iot-pub-gateway.dev/schemas/message.json',
  title: 'PublishMessage',
  description:
    'One message for a device. Name the topic with deviceName + topic, or with topicFullName; give the payload as payload or payloadBase64.',
  type: 'object',
  additionalProperties: false,
  required: ['productKey'],
  dependentRequired: { deviceName: ['topic'], topic: ['deviceName'] },
  properties: {
    productKey: {
      type: 'string',
      description: 'letters, digits, "_" or "-" (up to 64)',
      pattern: '^[A-Za-z0-9_-]{1,64}$',
    },
    deviceName: {
      type: 'string',
      description: 'letters, digits and "_ . : @ -" (up to 64)',
      pattern: `^${NAME}{1,64}$`,
    },
    topic: {
      type: 'string',
      description: 'the short topic name after /user/: levels of letters, digits and "_" separated by "/"',
      maxLength: MAX_TOPIC_LENGTH,
      pattern: `^${LEVEL}+(?:/${LEVEL}+)*$`,
    },
    topicFullName: {
      type: 'string',
      description: 'a full topic such as /{productKey}/{deviceName}/user/get or /broadcast/{productKey}/all',
      maxLength: MAX_TOPIC_LENGTH,
      pattern: `^(?:/${NAME}+)+$`,
    },
    payload: {
      description: 'any JSON value: a string is sent as its UTF-8 bytes, anything else as compact JSON',
    },
    payloadBase64: {
      type: 'string',
      description: 'the raw payload bytes in standard, padded base64',
      pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$',
    },
    qos: { description: 'MQTT QoS: 0 (default) or 1', enum: [0, 1], default: 0 },
    responseTopic: {
      type: 'string',
      description: 'a short topic name of the same device, or a full topic starting with "/"',
      maxLength: MAX_TOPIC_LENGTH,
      pattern: `^(?:${LEVEL}+(?:/${LEVEL}+)*|(?:/${NAME}+)+)$`,
    },
    correlationData: {
      type: 'string',
      description: 'text without control characters, sent base64-encoded (up to 4096 characters)',
      maxLength: 4096,
      pattern: PRINTABLE,
    },
    userProperties: {
      type: 'object',
      description: `MQTT 5 user properties, name to value (at most ${MAX_USER_PROPERTIES})`,
      maxProperties: MAX_USER_PROPERTIES,
      propertyNames: { minLength: 1, maxLength: 128, pattern: PRINTABLE },
      additionalProperties: {
        type: 'string',
        description: 'text without control characters (up to 1024)',
        maxLength: 1024,
        pattern: PRINTABLE,
      },
    },
    idempotencyKey: {
      type: 'string',
      description: `1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters (the key that publishes this message once; never sent to IoT)`,
      minLength: 1,
      maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
      pattern: '^[ -~]*$',
    },
  },
} as const
