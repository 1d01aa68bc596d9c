import { describe, expect, it } from 'vitest';
import { mirroredReference, parseImageName, parseImageReference, splitTag } from '../../src/registry/image-reference.js';

describe('image references', () => {
  it.each([
    ['docker:dind', 'mirror.example:5000/library/docker:dind'],
    ['python:3.8-slim', 'mirror.example:5000/library/python:3.8-slim'],
    ['docker', 'mirror.example:5000/library/docker'],
    ['bitnami/redis:7', 'mirror.example:5000/bitnami/redis:7'],
    ['registry.gitlab.com/group/app:1', null],
    ['127.0.0.1:5000/library/docker:dind', null],
    ['localhost/app', null],
  ])('resolve %s through a pull-through mirror as %s', (image, mirrored) => {
    expect(mirroredReference(image, 'http://mirror.example:5000')).toBe(mirrored);
  });

  it('split a registry reference into registry, repository and tag or digest', () => {
    expect(parseImageReference('127.0.0.1:5000/group/app:abc')).toEqual({ registry: '127.0.0.1:5000', repository: 'group/app', reference: 'abc' });
    expect(parseImageReference(`r.example/app@sha256:${'a'.repeat(64)}`)).toEqual({ registry: 'r.example', repository: 'app', reference: `sha256:${'a'.repeat(64)}` });
    expect(() => parseImageReference('app')).toThrow('not a registry image reference with a tag or digest: app');
  });
});

describe('one image-name parser', () => {
  it.each([
    ['python:3.8-slim', { registry: undefined, repository: 'python', tag: '3.8-slim', digest: undefined }],
    ['localhost:5000/app', { registry: 'localhost:5000', repository: 'app', tag: undefined, digest: undefined }],
    ['localhost/group/app:1', { registry: 'localhost', repository: 'group/app', tag: '1', digest: undefined }],
    ['group/app:1@sha256:abc', { registry: undefined, repository: 'group/app', tag: '1', digest: 'sha256:abc' }],
    ['r.example:5000/a/b/c', { registry: 'r.example:5000', repository: 'a/b/c', tag: undefined, digest: undefined }],
  ])('reads %s as Docker does', (image, expected) => {
    expect(parseImageName(image)).toEqual(expected);
  });

  it('splits a tag off, defaulting to latest, whatever the registry port', () => {
    expect(splitTag('127.0.0.1:5000/group/app')).toEqual({ repo: '127.0.0.1:5000/group/app', tag: 'latest' });
    expect(splitTag('127.0.0.1:5000/group/app:abc')).toEqual({ repo: '127.0.0.1:5000/group/app', tag: 'abc' });
  });
});
