import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderErb } from '../src/templates/erb.ts';

const vars = {
  cluster_config: {
    network: { provider: 'calico', pod_network_cidr: '10.50.0.0/16', empty: null, zero: 0, list: ['a', 'b'] },
    hosts: [{ address: '192.0.2.1' }],
  },
  name: 'extra',
  flag: false,
};

function ok(source: string): string {
  const result = renderErb(source, vars);
  assert.deepEqual(result.errors, []);
  return result.output;
}

/** Errors as `line:col code`, for compact assertions of what and where (not the wording). */
function errors(source: string): string[] {
  return renderErb(source, vars).errors.map((e) => `${e.line}:${e.col} ${e.code}`);
}

/** The messages, where what a message names is the feature under test (a path, a construct). */
function messages(source: string): string[] {
  return renderErb(source, vars).errors.map((e) => e.message);
}

describe('ERB subset: output', () => {
  test('prints strings, numbers and booleans from dotted paths and indexes', () => {
    assert.equal(
      ok('cidr: <%= cluster_config.network.pod_network_cidr %>, n=<%= cluster_config.network.zero %>'),
      'cidr: 10.50.0.0/16, n=0',
    );
    assert.equal(ok('<%= cluster_config.network.list[1] %><%= cluster_config.network.list[-1] %>'), 'bb');
    assert.equal(
      ok('<%= cluster_config.hosts[0].address %> <%= cluster_config["network"][:provider] %>'),
      '192.0.2.1 calico',
    );
    assert.equal(ok('<%= flag %>/<%= !flag %>/<%= "x" == "x" %>/<%= 1 != 2 %>'), 'false/true/true/true');
  });

  test('comments print nothing, <%% is a literal <%, -%> drops the following newline, <%- the indentation', () => {
    assert.equal(ok('a<%# anything, even Ruby: File.read(x) %>b'), 'ab');
    assert.equal(ok('x: "<%% y %>"'), 'x: "<% y %>"');
    assert.equal(ok('a\n<%# c -%>\nb\n'), 'a\nb\n');
    assert.equal(ok('a\n    <%- if true -%>\nb\n<% end -%>\n'), 'a\nb\n');
  });

  test('a value left to its default points from cluster_config to the effective network variable', () => {
    const result = renderErb('<%= cluster_config.network.service_cidr %>', {
      ...vars,
      network: { service_cidr: '10.96.0.0/12' },
    });
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0]!.message, /use network\.service_cidr for the effective value/);
  });

  test('an undefined path, a nil value and a map are errors in <%= %>, never a blank', () => {
    assert.deepEqual(errors('x: <%= cluster_config.network.foo %>'), ['1:4 TemplateUndefined']);
    assert.deepEqual(errors('<%= cluster_config.network.empty %>'), ['1:1 TemplateNotPrintable']);
    assert.deepEqual(errors('<%= cluster_config.network %>'), ['1:1 TemplateNotPrintable']);
    assert.deepEqual(errors('<%= cluster_config.network.list %>'), ['1:1 TemplateNotPrintable']);
    assert.deepEqual(errors('<%= nothing %>'), ['1:1 TemplateUndefined']);
    assert.deepEqual(errors('<%= cluster_config.network.list[5] %>'), ['1:1 TemplateUndefined']);
    // What the message names: the path, and what the template may use instead.
    assert.match(messages('<%= nothing %>')[0]!, /templates can use cluster_config, flag, name/);
    assert.match(messages('<%= cluster_config.network.list[5] %>')[0]!, /the list has 2 items/);
  });
});

describe('ERB subset: conditionals', () => {
  const tpl = [
    '<% if cluster_config.network.provider == "calico" -%>',
    'calico',
    '<% elsif cluster_config.network.provider == "weave" -%>',
    'weave',
    '<% else -%>',
    'other',
    '<% end -%>',
    '',
  ].join('\n');

  test('if/elsif/else picks the first true branch', () => {
    assert.equal(ok(tpl), 'calico\n');
    const weave = renderErb(tpl, { ...vars, cluster_config: { network: { provider: 'weave' } } });
    assert.equal(weave.output, 'weave\n');
    const other = renderErb(tpl, { ...vars, cluster_config: { network: { provider: 'custom' } } });
    assert.equal(other.output, 'other\n');
  });

  test('an undefined path in a condition is falsy; && || ! and unless work; 0 is truthy as in Ruby', () => {
    assert.equal(ok('<% if cluster_config.network.nope.deeper %>yes<% else %>no<% end %>'), 'no');
    assert.equal(ok('<% if !cluster_config.nope || flag %>a<% end %>'), 'a');
    assert.equal(ok('<% if cluster_config.network.zero && (name == "extra") %>a<% end %>'), 'a');
    assert.equal(ok('<% unless flag %>u<% end %>'), 'u');
    assert.equal(ok('<% if cluster_config.network.empty == nil %>nil<% end %>'), 'nil');
  });

  test('errors in a branch that does not run are not evaluated, but parse errors anywhere are reported', () => {
    assert.equal(ok('<% if flag %><%= cluster_config.nope %><% end %>'), '');
    assert.deepEqual(errors('<% if flag %><%= foo(1) %><% end %>'), ['1:14 TemplateUnsupported']);
  });

  test('unbalanced structure is reported at the tag', () => {
    assert.deepEqual(errors('a\n<% if flag %>\nb'), ['2:1 TemplateSyntax']);
    assert.deepEqual(errors('<% end %>'), ['1:1 TemplateSyntax']);
    assert.deepEqual(errors('<% else %>'), ['1:1 TemplateSyntax']);
    assert.deepEqual(errors('x <%= name'), ['1:3 TemplateSyntax']);
  });
});

describe('ERB subset: Ruby is rejected by name, at the tag', () => {
  const cases: [string, RegExp][] = [
    ['<%= foo(1) %>', /method call `foo\(\.\.\.\)`/],
    ['<%= name.upcase %>', /method call `\.upcase` on name/],
    ['<%= cluster_config.network.list.join(",") %>', /method call `\.join\(\.\.\.\)`/],
    ['<% cluster_config.hosts.each do |h| %>x<% end %>', /block `\.each do \.\.\. end`/],
    ['<% x = 1 %>', /assignment \(`=`\)/],
    ['<%= File.read("/etc/passwd") %>', /Ruby constant `File`/],
    ['<%= ENV["HOME"] %>', /Ruby constant `ENV`/],
    ['<%= "a#{name}" %>', /string interpolation/],
    ['<%= @x %>', /instance variable `@x`/],
    ['<%= name if flag %>', /`if` modifier/],
    ['<%= flag ? 1 : 2 %>', /ternary operator/],
    ['<%= 1 + 2 %>', /operator `\+`/],
    ['<%= `ls` %>', /shell command/],
    ['<% name %>', /runs code and prints nothing.*did you mean "<%= name %>"/],
  ];
  for (const [source, pattern] of cases) {
    test(source, () => {
      const result = renderErb(`line one\n  ${source}`, vars);
      assert.equal(result.errors.length, 1, JSON.stringify(result.errors));
      const [error] = result.errors;
      // The code says what kind; the message names the construct (that naming is the feature).
      assert.deepEqual([error!.code, error!.line, error!.col], ['TemplateUnsupported', 2, 3]);
      assert.match(error!.message, pattern);
    });
  }

  test('every problem in a template is reported at once, in order', () => {
    const found = errors(
      ['<%= a(1) %>', '<% x = 2 %>', '<%= cluster_config.nope %>', '<%= Kernel %>'].join('\n'),
    );
    assert.deepEqual(found, [
      '1:1 TemplateUnsupported',
      '2:1 TemplateUnsupported',
      '3:1 TemplateUndefined',
      '4:1 TemplateUnsupported',
    ]);
  });
});

describe('ERB subset: source positions', () => {
  test('sourceOffset maps output offsets back to the template', () => {
    const source = '<%# header -%>\nkey: <%= name %>\nnext: x\n';
    const result = renderErb(source, vars);
    assert.equal(result.output, 'key: extra\nnext: x\n');
    // `next` is on output line 2 and template line 3.
    const outNext = result.output.indexOf('next');
    assert.equal(result.sourceOffset(outNext), source.indexOf('next'));
    // Anything printed by a tag maps to the tag's `<%`.
    assert.equal(result.sourceOffset(result.output.indexOf('extra') + 2), source.indexOf('<%='));
  });
});
