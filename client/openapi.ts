/**
 * The OpenAPI 3.1 description of the gateway's HTTP interface, built from the same JSON Schema the
 * gateway validates with, so the two cannot drift.
 */
import { messageSchema } from '../lib/message/schema.js'

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: {
          type: 'string',
          description: 'InvalidRequest, Unauthorized, Forbidden, Throttled, … or IoT’s own code',
        },
        message: { type: 'string' },
        details: {
          type: 'array',
          items: {
            type: 'object',
            required: ['pointer', 'message'],
            properties: {
              pointer: { type: 'string', description: 'JSON pointer into the request' },
              message: { type: 'string' },
            },
          },
        },
        iotCode: { type: 'string', description: 'IoT Platform’s code behind the error' },
        attempts: { type: 'integer', description: 'Pub calls made before giving up' },
      },
    },
  },
}

// Statuses a single message's failure can have in a batch: when every message failed, the batch is
// answered with the first failure's status, in the batch form.
const PER_MESSAGE_STATUSES = new Set(['404', '409', '422', '429', '500', '502', '503', '504'])

const ERROR_STATUSES: Record<string, string> = {
  '400': 'Malformed JSON or a message that breaks the schema; details point at each field',
  '401': 'No valid API key (checked first, whatever the method)',
  '403': 'Product or topic outside what the operator allows',
  '404': 'IoT Platform does not know the product or device',
  '405': 'Only POST is accepted (checked after the key)',
  '409': 'The first request with this idempotency key is still publishing: retry after Retry-After',
  '413': 'Payload or body too large',
  '415': 'The body is not JSON',
  '422': 'IoT Platform refused the message',
  '429': 'Throttled: retry after Retry-After',
  '500': 'The gateway is misconfigured or failed unexpectedly',
  '502': 'IoT Platform refused the gateway’s own credentials or instance',
  '503': 'IoT Platform is unavailable',
  '504': 'IoT Platform did not confirm the publish; the message may have been published',
}

/** What the document states of a deployment. */
export interface OpenApiSettings {
  /** `MAX_BATCH_SIZE`. @default 100 */
  maxBatchSize?: number
  /** `MAX_PAYLOAD_BYTES`. @default 262144 */
  maxPayloadBytes?: number
  /** The gateway's package version. @default '0.0.0' */
  version?: string
}

/**
 * The OpenAPI document, served by the local runner at `/openapi.json`, stating the deployment's limits.
 * @example buildOpenApiDocument({ maxBatchSize: 50, maxPayloadBytes: 1024, version: '0.1.0' })
 */
export function buildOpenApiDocument({
  maxBatchSize = 100,
  maxPayloadBytes = 262_144,
  version = '0.0.0',
}: OpenApiSettings = {}): Record<string, unknown> {
  const { $id: _id, ...schema } = messageSchema
  const payloadLimit = `at most ${maxPayloadBytes} bytes once encoded (MAX_PAYLOAD_BYTES)`
  const publishMessage = {
    ...schema,
    properties: {
      ...schema.properties,
      payload: {
        ...schema.properties.payload,
        description: `${schema.properties.payload.description}; ${payloadLimit}`,
      },
      payloadBase64: {
        ...schema.properties.payloadBase64,
        description: `${schema.properties.payloadBase64.description}; ${payloadLimit}`,
        maxLength: Math.ceil(maxPayloadBytes / 3) * 4,
      },
    },
  }
  const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } })
  return {
    openapi: '3.1.0',
    info: {
      title: 'iot-pub-gateway',
      version,
      description: `Publishes messages to devices through Alibaba Cloud IoT Platform’s Pub API. Checks come in this order: the API key (401), the method (405), the content type (415), the body's size (413), the JSON (400), each message (400, 413), confinement (403); then each message is published. Batches hold at most ${maxBatchSize} messages (MAX_BATCH_SIZE); payloads at most ${maxPayloadBytes} bytes (MAX_PAYLOAD_BYTES).`,
    },
    paths: {
      '/': {
        post: {
          operationId: 'publish',
          summary: 'Publish one message, or a batch as {"messages": [...]}',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    { $ref: '#/components/schemas/PublishMessage' },
                    { $ref: '#/components/schemas/PublishBatch' },
                  ],
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'Published (a batch: every message published)',
              content: {
                'application/json': {
                  schema: {
                    oneOf: [
                      { $ref: '#/components/schemas/PublishResult' },
                      { $ref: '#/components/schemas/BatchResult' },
                    ],
                  },
                },
              },
            },
            '207': { description: 'A batch where some messages failed', content: json('BatchResult') },
            ...Object.fromEntries(
              Object.entries(ERROR_STATUSES).map(([status, description]) => [
                status,
                PER_MESSAGE_STATUSES.has(status)
                  ? {
                      description: `${description}; a batch in which every message failed answers its first failure's status with a BatchResult`,
                      content: {
                        'application/json': {
                          schema: {
                            oneOf: [
                              { $ref: '#/components/schemas/Error' },
                              { $ref: '#/components/schemas/BatchResult' },
                            ],
                          },
                        },
                      },
                    }
                  : { description, content: json('Error') },
              ]),
            ),
          },
        },
      },
    },
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'One of GATEWAY_API_KEYS' } },
      schemas: {
        PublishMessage: publishMessage,
        PublishBatch: {
          type: 'object',
          additionalProperties: false,
          required: ['messages'],
          properties: {
            messages: {
              type: 'array',
              minItems: 1,
              maxItems: maxBatchSize,
              items: { $ref: '#/components/schemas/PublishMessage' },
            },
          },
        },
        PublishResult: {
          type: 'object',
          required: ['messageId', 'requestId'],
          properties: {
            messageId: { type: 'string', description: 'IoT’s MessageId, every digit exact' },
            requestId: { type: 'string', description: 'IoT’s RequestId' },
          },
        },
        BatchResult: {
          type: 'object',
          required: ['results'],
          properties: {
            results: {
              type: 'array',
              description: 'One per message, in request order',
              items: {
                oneOf: [
                  { $ref: '#/components/schemas/PublishResult' },
                  {
                    type: 'object',
                    required: ['error', 'status'],
                    properties: { error: errorBody.properties.error, status: { type: 'integer' } },
                  },
                ],
              },
            },
          },
        },
        Error: errorBody,
      },
    },
  }
}
