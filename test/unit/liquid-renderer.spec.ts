import {
  __liquidCacheSizes,
  renderLiquid,
  TemplateRenderError,
  TemplateSyntaxError,
  validateLiquid,
} from '../../src/notifications/liquid-renderer';

const catchError = (fn: () => void): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
};

describe('renderLiquid', () => {
  it('renders data variables', async () => {
    expect(await renderLiquid('Hi {{ data.name }}!', { data: { name: 'Ann' } })).toBe('Hi Ann!');
  });

  it('renders a missing variable as empty, never throws', async () => {
    expect(await renderLiquid('[{{ data.nope }}][{{ nothing.at.all }}][{{ profile.email }}]', { data: {} })).toBe('[][][]');
    expect(await renderLiquid('{% if data.nope %}yes{% else %}no{% endif %}', {})).toBe('no');
  });

  it('applies filters', async () => {
    expect(await renderLiquid('{{ profile.email | upcase }}', { profile: { email: 'ann@example.com' } })).toBe('ANN@EXAMPLE.COM');
    expect(await renderLiquid('{{ data.n | default: "x" }}', {})).toBe('x');
  });

  it('html mode escapes markup coming from data', async () => {
    const scope = { data: { name: '<script>alert("x")</script>&' } };
    const out = await renderLiquid('<p>{{ data.name }}</p>', scope, { html: true });
    expect(out).toBe('<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;</p>');
    expect(out).not.toContain('<script>');
  });

  it('text mode does not escape', async () => {
    const scope = { data: { name: '<script>alert("x")</script>&' } };
    expect(await renderLiquid('{{ data.name }}', scope)).toBe('<script>alert("x")</script>&');
    expect(await renderLiquid('{{ data.name }}', scope, { html: false })).toBe('<script>alert("x")</script>&');
  });

  it('does not expose prototype properties', async () => {
    const scope = { data: { a: 1 }, profile: { email: 'x' } };
    expect(await renderLiquid('[{{ data.constructor }}][{{ data.__proto__ }}][{{ data.toString }}][{{ profile.hasOwnProperty }}]', scope)).toBe('[][][][]');
    expect(await renderLiquid('[{{ data.constructor.name }}][{{ data.__proto__.constructor }}]', scope)).toBe('[][]');
    // Own properties still work.
    expect(await renderLiquid('{{ data.a }}', scope)).toBe('1');
  });

  it('does not read files through include/render/layout', async () => {
    await expect(renderLiquid('{% include "package.json" %}', {})).rejects.toBeInstanceOf(TemplateSyntaxError);
    await expect(renderLiquid('{% render "package.json" %}', {})).rejects.toThrow(/render/);
  });

  it('throws TemplateRenderError when a render limit is hit', async () => {
    const err = await renderLiquid('{% for i in (1..100000000) %}{{ i }}{% endfor %}', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemplateRenderError);
    expect((err as Error).message).toMatch(/limit/);
  });

  it('caches parsed templates by source', async () => {
    const src = `cache-probe {{ data.x }} ${Date.now()}`;
    const before = __liquidCacheSizes().text;
    expect(await renderLiquid(src, { data: { x: 1 } })).toMatch(/^cache-probe 1 /);
    expect(await renderLiquid(src, { data: { x: 2 } })).toMatch(/^cache-probe 2 /);
    expect(__liquidCacheSizes().text).toBe(before + 1);
  });
});

describe('validateLiquid', () => {
  it('accepts valid templates', () => {
    expect(() => validateLiquid('Hello {{ data.name | upcase }}{% if profile.email %}!{% endif %}', 'channels.email.subject')).not.toThrow();
    expect(() => validateLiquid('plain text', 'x')).not.toThrow();
  });

  it.each([
    ['an unclosed if', '{% if x %}yes', /not closed/],
    ['an unknown filter', '{{ x | nosuchfilter }}', /nosuchfilter/],
    ['an unknown tag', '{% nosuchtag %}', /nosuchtag/],
    ['an unclosed output', 'Hi {{ data.name', /not closed/],
    ['the include tag', '{% include "secrets.txt" %}', /include/],
  ])('throws TemplateSyntaxError with the field path for %s', (_label, source, detail) => {
    const err = catchError(() => validateLiquid(source, 'channels.email.subject'));
    expect(err).toBeInstanceOf(TemplateSyntaxError);
    const message = (err as Error).message;
    expect(message.startsWith('channels.email.subject: ')).toBe(true);
    expect(message).toMatch(detail);
    expect((err as TemplateSyntaxError).fieldPath).toBe('channels.email.subject');
  });

  it('reports line and column', () => {
    const err = catchError(() => validateLiquid('line one\n{{ x | nope }}', 'channels.inbox.body'));
    expect((err as Error).message).toMatch(/^channels\.inbox\.body: .*nope.*line:2, col:1/);
  });
});
