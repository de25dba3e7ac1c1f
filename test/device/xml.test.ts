import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { errorXml, radiusXml, userXml, usersXml } from '../../src/device/xml.js';

const lists = { sread: 'all,', swrite: 'elements,', cread: 'all,', cwrite: 'all,', gread: '3001, 3002,', gwrite: '3001,' };

describe('device XML replies', () => {
  it('print the manual\'s shapes', () => {
    expect(userXml({ id: 1, name: 'guest', ...lists }, '491791596')).toBe(
      '<user id="1" k="491791596" name="guest" sread="all," swrite="elements," cread="all," cwrite="all," gread="3001, 3002," gwrite="3001,"/>',
    );
    expect(usersXml([{ id: 1, name: 'guest', ...lists }])).toBe(
      '<users><user id="1" name="guest" sread="all," swrite="elements," cread="all," cwrite="all," gread="3001, 3002," gwrite="3001,"/></users>',
    );
    expect(usersXml([])).toBe('<users/>');
    expect(radiusXml({ enable: true, addr: '192.168.1.88', port: 1812, secret: 'never shown' })).toBe('<radius enable="1" addr="192.168.1.88" port="1812"/>');
    expect(radiusXml({ enable: false, addr: 'x', port: 1, secret: 's' })).toBe('<radius enable="0"/>');
    expect(errorXml('some parameters are not specified')).toBe('<error type="some parameters are not specified"/>');
  });

  it('drops characters XML cannot carry (e.g. from a RADIUS attribute) and stays parseable', () => {
    const xml = userXml({ id: 0, name: 'u', ...lists, cread: 'a\u0000b\u001Fc&<' }, 'k');
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as { user: Record<string, string> };
    expect(doc.user.cread).toBe('abc&<');
  });
});
