/** `ControllerName` follows the registry: the three built-in laws are registered, another one can be. */
import { describe, expect, it } from 'vitest';

import { controllerByName, controllerNames, deadbeatController, lfcController, oracleController, registerController } from '../../../src-main/engine/controllers';
import type { Controller } from '../../../src-main/engine/controllers';

declare module '../../../src-main/engine/controllers' {
  interface ControllerRegistry {
    'test-hold': Controller;
  }
}

describe('controller registry', () => {
  it('knows lfc, deadbeat and oracle by name', () => {
    expect(controllerNames()).toEqual(expect.arrayContaining(['lfc', 'deadbeat', 'oracle']));
    expect(controllerByName('lfc')).toBe(lfcController);
    expect(controllerByName('deadbeat')).toBe(deadbeatController);
    expect(controllerByName('oracle')).toBe(oracleController);
  });

  it('takes a new control law by registration, and names the known ones for an unknown name', () => {
    const hold: Controller = { ...deadbeatController, name: 'test-hold' };
    registerController(hold);
    expect(controllerByName('test-hold')).toBe(hold);
    expect(controllerNames()).toContain('test-hold');
    expect(() => controllerByName('nope' as never)).toThrow(/no controller "nope" is registered \(known: lfc, deadbeat, oracle/);
  });
});
