import { expect } from 'chai';
import { cookieSecret, dnsGuardFromOptions } from '../../src/cli/commands/serve-dns-guard';
import { UsageError } from '../../src/cli/command';
import { docEnvFiles } from './doc-blocks';

describe('docs/operations.md: DNS cookie secret and protection options', () => {
  it('the serve.env sample carries a cookie secret that serve accepts', () => {
    const env = docEnvFiles().get('/etc/anypick/tokens/serve.env')!;
    expect(env.ANYPICK_COOKIE_SECRET, 'ANYPICK_COOKIE_SECRET in the sample').to.be.a('string');
    expect(cookieSecret({}, env)!.length).to.equal(16);
  });

  it('rejects a short secret and option values out of range with the option named', () => {
    expect(() => cookieSecret({}, { ANYPICK_COOKIE_SECRET: 'abcd' })).to.throw(UsageError, /ANYPICK_COOKIE_SECRET/);
    expect(() => dnsGuardFromOptions({ rrl: '0' })).to.throw(UsageError, /--rrl 0/);
    expect(() => dnsGuardFromOptions({ 'rrl-slip': '2' })).to.throw(UsageError, /need --rrl/);
    expect(() => dnsGuardFromOptions({ rrl: '20', 'rrl-ipv6-prefix': '129' })).to.throw(UsageError, /--rrl-ipv6-prefix 129/);
    expect(() => dnsGuardFromOptions({ 'tcp-idle-timeout': '10' })).to.throw(UsageError, /--tcp-idle-timeout/);
    const g = dnsGuardFromOptions({ rrl: '20', 'tcp-max-connections': '100', 'tcp-message-timeout': '3s' });
    expect(g.rrl?.rate).to.equal(20);
    expect(g.tcp).to.include({ maxConnections: 100, messageTimeoutMs: 3000 });
  });
});
