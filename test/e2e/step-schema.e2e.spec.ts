import { ACTIONS } from '../../workflows/shared/step-schema';
import { startTestHerald, TestHerald } from '../support/test-herald';

/** GET /automations/step-schema: the step language as JSON Schema, the designer's forms' source. */
let herald: TestHerald;
beforeAll(async () => {
  herald = await startTestHerald({ worker: false });
});
afterAll(() => herald?.stop());

describe('step schema', () => {
  it('describes every action with its fields, their help and what is required, as the API validates', async () => {
    const ws = await herald.newWorkspace();
    const res = await herald.http.get('/automations/step-schema').set(ws.auth).expect(200);
    const actions = res.body.actions as Array<{ action: string; description: string; schema: Record<string, any> }>;
    expect(actions.map((a) => a.action)).toEqual([...ACTIONS]);
    for (const a of actions) {
      expect(a.description).toEqual(expect.any(String));
      expect(a.schema.properties.action).toMatchObject({ const: a.action });
      expect(a.schema.additionalProperties).toBe(false);
      expect(a.schema.properties.if.description).toMatch(/condition|holds/);
    }
    const byAction = Object.fromEntries(actions.map((a) => [a.action, a.schema]));
    expect(byAction['wait-for'].required).toEqual(expect.arrayContaining(['event', 'timeout']));
    expect(byAction.delay.properties.duration.description).toMatch(/How long to wait/);
    expect(byAction.throttle.properties.scope).toMatchObject({ enum: ['user', 'global', 'dynamic'], default: 'user' });

    // What the schema calls required, a save refuses without; a field it does not list is refused.
    for (const action of ['wait-for', 'cancel', 'subscribe'] as const) {
      const res400 = await herald.http.post('/automations').set(ws.auth).send({ name: 'x', steps: [{ action }] }).expect(400);
      for (const field of byAction[action].required.filter((f: string) => f !== 'action')) expect(res400.body.message).toContain(`steps[0].${field}`);
    }
    const unknown = await herald.http.post('/automations').set(ws.auth).send({ name: 'x', steps: [{ action: 'exit', bogus: 1 }] }).expect(400);
    expect(unknown.body.message).toMatch(/bogus/);
  });

  it('needs a key', async () => {
    await herald.http.get('/automations/step-schema').expect(401);
  });
});
