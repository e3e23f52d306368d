/** sshd's line tokeniser, Match criteria and address lists (pure parts), with property tests. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { splitLine, argvSplit } from '../../src/sshd-config/lexer.ts';
import { parseMatch, evaluateMatch, addrMatchList, matchPatternList, parseConnectionSpec } from '../../src/sshd-config/match.ts';
import { assembleNames } from '../../src/sshd-config/algorithms.ts';
import { convtime, parseMaxStartups } from '../../src/sshd-config/value-syntax.ts';

test('splitLine: separators, quotes, comments', () => {
  assert.deepEqual(splitLine('Port=22'), { keyword: 'Port', rest: '22', args: ['22'] });
  assert.deepEqual(splitLine('  LoginGraceTime = 30 # comment').args, ['30']);
  assert.deepEqual(splitLine('Banner "/etc/my banner"').args, ['/etc/my banner']);
  assert.equal(splitLine('Banner "/etc/x').args, null);
  assert.equal(splitLine('# Port 22').keyword, null);
  assert.equal(splitLine('   ').keyword, null);
  assert.deepEqual(argvSplit('a\\ b c'), ['a b', 'c']);
});

test('property: unquoted words without # round-trip through argvSplit', () => {
  const word = fc.stringMatching(/^[A-Za-z0-9_.,:\/@*!+-]{1,12}$/);
  fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 6 }), fc.constantFrom(' ', '\t', '  '), (ws, sep) => {
    assert.deepEqual(argvSplit(ws.join(sep)), ws);
  }));
});

test('property: quoting any word keeps it as one argument', () => {
  fc.assert(fc.property(fc.stringMatching(/^[^"\\\n]{0,20}$/), (w) => {
    assert.deepEqual(argvSplit(`"${w}" tail`), [w, 'tail']);
  }));
});

test('Match parsing per version: 10.x criteria, all alone, missing arguments', () => {
  assert.deepEqual(parseMatch('Invalid-User', '9.2').errors, ['Missing Match criteria for Invalid-User']);
  assert.deepEqual(parseMatch('Invalid-User', '9.9').errors, []);
  assert.deepEqual(parseMatch('Version OpenSSH_9*', '9.9').errors, ['Unsupported Match attribute Version']);
  assert.deepEqual(parseMatch('Version OpenSSH_10*', '10.0').errors, []);
  assert.deepEqual(parseMatch('SessionType shell', '10.5').errors, ['Unsupported Match attribute SessionType']);
  assert.deepEqual(parseMatch('All User bob', '9.2').errors, ["'all' cannot be combined with other Match attributes"]);
  assert.deepEqual(parseMatch('User', '9.2').errors, ['Missing Match criteria for User']);
  assert.deepEqual(parseMatch('RDomain x', '7.6').errors, ['Unsupported Match attribute RDomain']);
  assert.deepEqual(parseMatch('User=alice', '10.0').criteria, [{ attr: 'user', arg: 'alice' }]);
});

test('Match evaluation: negation, CIDR, wildcards, missing fields do not match', () => {
  const m = parseMatch('Address 198.51.100.0/24,!198.51.100.7 User a*', '9.2');
  assert.equal(evaluateMatch(m, { addr: '198.51.100.8', user: 'alice' }, '9.2'), true);
  assert.equal(evaluateMatch(m, { addr: '198.51.100.7', user: 'alice' }, '9.2'), false);
  assert.equal(evaluateMatch(m, { addr: '198.51.100.8', user: 'bob' }, '9.2'), false);
  assert.equal(evaluateMatch(m, { user: 'alice' }, '9.2'), false);
  assert.equal(addrMatchList('2001:db8::5', '2001:db8::/32'), 1);
  assert.equal(addrMatchList('192.0.2.1', '198.51.100.1/24'), -2);
  assert.equal(matchPatternList('Root', 'root'), 0);
  assert.equal(matchPatternList('Host.Example.ORG', '*.example.org', true), 1);
});

test('property: an address inside a /24 always matches that block, and its negation never does', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), (n) => {
    assert.equal(addrMatchList(`203.0.113.${n}`, '203.0.113.0/24'), 1);
    assert.equal(addrMatchList(`203.0.113.${n}`, '*,!203.0.113.0/24'), -1);
  }));
});

test('connection spec parsing', () => {
  assert.deepEqual(parseConnectionSpec('user=alice,addr=198.51.100.20,lport=22'), { user: 'alice', addr: '198.51.100.20', lport: 22 });
  assert.throws(() => parseConnectionSpec('addr=x'), /not an IP address/);
  assert.throws(() => parseConnectionSpec('colour=red'), /unknown key/);
});

test('kex_assemble_names: + - ^ and plain lists', () => {
  const def = ['a', 'b', 'c'];
  const all = ['a', 'b', 'c', 'd', 'x-1', 'x-2'];
  assert.deepEqual(assembleNames('+d', def, all), ['a', 'b', 'c', 'd']);
  assert.deepEqual(assembleNames('-b', def, all), ['a', 'c']);
  assert.deepEqual(assembleNames('^d', def, all), ['d', 'a', 'b', 'c']);
  assert.deepEqual(assembleNames('x-*,a', def, all), ['x-1', 'x-2', 'a']);
  assert.equal(assembleNames('nothing', def, all), null);
});

test('convtime and MaxStartups specs', () => {
  assert.equal(convtime('1h30m'), 5400);
  assert.equal(convtime('90'), 90);
  assert.equal(convtime('1x'), null);
  assert.deepEqual(parseMaxStartups('10:30:100'), [10, 30, 100]);
  assert.deepEqual(parseMaxStartups('5'), [5, 100, 5]);
  assert.equal(parseMaxStartups('30:30:10'), null);
  assert.equal(parseMaxStartups('10:0:100'), null);
  assert.equal(parseMaxStartups('10:30'), null);
});
