/**
 * The operator's confinement: the products and topics messages may go to (`ALLOWED_PRODUCT_KEYS`,
 * `ALLOWED_TOPICS`), checked before any call to IoT.
 */
import type { ErrorDetail } from '../errors.js'
import type { PubParameters } from '../iot/pub-parameters.js'

/** What the operator allows; an absent list allows everything of its kind. */
export interface Confinement {
  allowedProductKeys?: readonly string[]
  allowedTopics?: readonly string[]
}

/**
 * Whether a full topic matches an MQTT filter: `+` matches one level, a final `#` the rest (or nothing).
 * @example topicMatches('/+/+/user/cmd/#', '/pk/dev/user/cmd/light') // true
 */
export function topicMatches(pattern: string, topic: string): boolean {
  const filter = pattern.split('/')
  const levels = topic.split('/')
  for (let i = 0; i < filter.length; i++) {
    if (filter[i] === '#') return true
    if (i >= levels.length || (filter[i] !== '+' && filter[i] !== levels[i])) return false
  }
  return filter.length === levels.length
}

/**
 * The parts of a Pub call the operator does not allow, pointing into the caller's message.
 * @param pointer - where the message stands in the request, e.g. `/messages/3`
 */
export function findConfinementProblems(
  parameters: PubParameters,
  confinement: Confinement,
  pointer = '',
): ErrorDetail[] {
  const problems: ErrorDetail[] = []
  const { ProductKey: productKey = '', TopicFullName: topic = '', ResponseTopic: responseTopic } = parameters
  const { allowedProductKeys, allowedTopics } = confinement
  if (allowedProductKeys && !allowedProductKeys.includes(productKey)) {
    problems.push({
      pointer: `${pointer}/productKey`,
      message: 'is not among the products this gateway may publish to',
    })
  }
  if (allowedTopics && !allowedTopics.some((pattern) => topicMatches(pattern, topic))) {
    problems.push({
      pointer: `${pointer}/topic`,
      message: `${topic} is not among the topics this gateway may publish to`,
    })
  }
  // A response topic names where the device answers: confined like the topic itself.
  if (
    allowedTopics &&
    responseTopic !== undefined &&
    !allowedTopics.some((pattern) => topicMatches(pattern, responseTopic))
  ) {
    problems.push({
      pointer: `${pointer}/responseTopic`,
      message: `${responseTopic} is not among the allowed topics`,
    })
  }
  return problems
}
