import { describe, expect, it } from 'vitest'
import { findConfinementProblems, topicMatches } from '../../../lib/security/confinement.js'

describe('topicMatches', () => {
  it.each([
    ['/+/+/user/cmd/#', '/pk/dev/user/cmd', true],
    ['/+/+/user/cmd/#', '/pk/dev/user/cmd/light/on', true],
    ['/+/+/user/cmd/#', '/pk/dev/user/get', false],
    ['/pk/+/user/get', '/pk/dev/user/get', true],
    ['/pk/+/user/get', '/other/dev/user/get', false],
    ['/pk/+/user/get', '/pk/dev/user/get/more', false],
    ['/pk/dev/user/get', '/pk/dev/user/get', true],
    ['/broadcast/pk/#', '/broadcast/pk/all', true],
    ['#', '/anything/at/all', true],
    ['/+', '/pk/dev', false],
  ])('%s matches %s: %s', (pattern, topic, expected) => {
    // Act + Assess
    expect(topicMatches(pattern, topic)).toBe(expected)
  })
})

describe('findConfinementProblems', () => {
  const parameters = { ProductKey: 'pk', TopicFullName: '/pk/dev/user/get', MessageContent: 'aGk=', Qos: '0' }

  it('allows everything when nothing is configured', () => {
    // Act + Assess
    expect(findConfinementProblems(parameters, {})).toEqual([])
  })

  it('refuses a product outside ALLOWED_PRODUCT_KEYS, pointing into the batch item', () => {
    // Act
    const problems = findConfinementProblems(parameters, { allowedProductKeys: ['other'] }, '/messages/2')

    // Assess
    expect(problems).toEqual([expect.objectContaining({ pointer: '/messages/2/productKey' })])
  })

  it('refuses a topic or a response topic outside ALLOWED_TOPICS', () => {
    // Act
    const problems = findConfinementProblems(
      { ...parameters, ResponseTopic: '/pk/dev/user/secret' },
      { allowedTopics: ['/+/+/user/cmd/#'] },
    )

    // Assess
    expect(problems.map((problem) => problem.pointer)).toEqual(['/topic', '/responseTopic'])
  })
})
