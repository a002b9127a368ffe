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

const ERROR_STATUSES: Record<string, string> = {
  '400': 'Malformed JSON or a message that breaks the schema; details point at each field',
  '401': 'No valid API key',
  '403': 'Product or topic outside what the operator allows',
  '404': 'IoT Platform does not know the product or device',
  '405': 'Only POST is accepted',
  '413': 'Payload or body too large',
  '415': 'The body is not JSON',
  '422': 'IoT Platform refused the message',
  '429': 'Throttled: retry after Retry-After',
  '500': 'The gateway is misconfigured or failed unexpectedly',
  '502': 'IoT Platform refused the gateway’s own credentials or instance',
  '503': 'IoT Platform is unavailable',
  '504': 'IoT Platform did not confirm the publish; the message may have been published',
}

/**
 * The OpenAPI document, served by the local runner at `/openapi.json`.
 * @param maxBatchSize - the deployment's MAX_BATCH_SIZE
 */
export function buildOpenApiDocument(maxBatchSize = 100): Record<string, unknown> {
  const { $id: _id, ...publishMessage } = messageSchema
  const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } })
  return {
    openapi: '3.1.0',
    info: {
      title: 'iot-pub-gateway',
      version: '1.0.0',
      description: 'Publishes messages to devices through Alibaba Cloud IoT Platform’s Pub API.',
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
                { description, content: json('Error') },
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
