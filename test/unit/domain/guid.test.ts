import { describe, expect, it } from 'vitest';
import { parseGuid } from '../../../src/domain/guid.js';

describe('parseGuid', () => {
  it('takes a GUID bare or in braces, keeping its case, and nothing else', () => {
    expect(parseGuid('0B6C7F1E-3D2A-4F55-8E61-2A9D4C7B1E05')).toBe('0B6C7F1E-3D2A-4F55-8E61-2A9D4C7B1E05');
    expect(parseGuid(' {0b6c7f1e-3d2a-4f55-8e61-2a9d4c7b1e05} ')).toBe('0b6c7f1e-3d2a-4f55-8e61-2a9d4c7b1e05');
    expect(parseGuid('0b6c7f1e-3d2a-4f55-8e61-2a9d4c7b1e05)/x')).toBeNull();
    expect(parseGuid('alice@contoso.com')).toBeNull();
  });
});
