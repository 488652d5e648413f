import { describe, expect, it } from 'vitest';
import { citation } from '../test/fakes';
import { citationLabel, escapeHtml, isSafeUrl, renderAnswer } from './markdown';

/** The rendered HTML as a DOM fragment, to inspect what survived. */
function dom(html: string): HTMLElement {
  const host = document.createElement('div');
  host.innerHTML = html;
  return host;
}

function chips(host: HTMLElement): string[] {
  return [...host.querySelectorAll<HTMLButtonElement>('button.cite')].map((chip) => chip.dataset['cite'] ?? '');
}

describe('citation chips', () => {
  const sources = [citation({ index: 1 }), citation({ index: 2, title: null, source: 'policy.md' }), citation({ index: 3 })];

  it('turns [1], [2, 3] and [1][2] into numbered buttons', () => {
    const host = dom(renderAnswer('One [1], two [2, 3], both [1][2].', sources));
    expect(chips(host)).toEqual(['1', '2', '3', '1', '2']);
    const first = host.querySelector<HTMLButtonElement>('button.cite');
    expect(first?.type).toBe('button');
    expect(first?.textContent).toBe('1');
    expect(first?.getAttribute('aria-label')).toBe('Source 1: Staff handbook');
    expect(host.querySelectorAll('button.cite')[1]?.getAttribute('aria-label')).toBe('Source 2: policy.md');
    expect(host.textContent).not.toContain('[');
  });

  it('leaves numbers that are no source as text once the sources are known', () => {
    const host = dom(renderAnswer('In [2024] and [9] but [1].', [citation({ index: 1 })]));
    expect(chips(host)).toEqual(['1']);
    expect(host.textContent).toContain('[2024]');
    expect(host.textContent).toContain('[9]');
  });

  it('makes every marker a chip while the answer is written (sources come last)', () => {
    expect(chips(dom(renderAnswer('So [1] and [4].', null)))).toEqual(['1', '4']);
  });

  it('does not touch code, links or link-like text', () => {
    const host = dom(renderAnswer('`a [1]` and [the handbook](https://example.com/h) and [1](https://example.com/x)\n\n```\n[2]\n```', sources));
    expect(chips(host)).toEqual([]);
    expect(host.querySelector('code')?.textContent).toBe('a [1]');
    expect(host.querySelectorAll('a')).toHaveLength(2);
  });

  it('labels a chip by title, else source', () => {
    expect(citationLabel(3, citation({ title: 'Handbook' }))).toBe('Source 3: Handbook');
    expect(citationLabel(3, citation({ title: null, source: 'a.pdf' }))).toBe('Source 3: a.pdf');
    expect(citationLabel(3, undefined)).toBe('Source 3');
  });
});

describe('sanitising', () => {
  const attacks = [
    '<script>window.hacked = true</script>',
    '<img src=x onerror="window.hacked = true">',
    'Text <b onclick="window.hacked = true">bold</b> <svg onload="window.hacked=true"></svg>',
    '<iframe src="https://evil.example"></iframe>',
    '[click](javascript:window.hacked=true) [data](data:text/html;base64,PHNjcmlwdD4=)',
    '<a href="javascript:alert(1)">x</a>',
    '![x](https://evil.example/pixel.png?secret=1 "t")',
    '<style>body{display:none}</style>',
    '<button class="cite" data-cite="1" onclick="window.hacked = true">1</button>',
  ];

  it.each(attacks)('nothing executable survives: %s', (markdown) => {
    const html = renderAnswer(markdown, [citation()]);
    const host = dom(html);
    expect(host.querySelector('script, iframe, img, svg, style, object, embed')).toBeNull();
    for (const element of host.querySelectorAll('*')) {
      for (const attribute of element.attributes) {
        expect(attribute.name.startsWith('on'), `${element.tagName} ${attribute.name}`).toBe(false);
        expect(attribute.value.trim().toLowerCase().startsWith('javascript:')).toBe(false);
      }
    }
    // Raw HTML is shown escaped: no tag in the output carries an event handler.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<[^>]*\son\w+\s*=/i);
  });

  it('shows raw HTML as text rather than dropping it', () => {
    const host = dom(renderAnswer('Use <script>alert(1)</script> tags', null));
    expect(host.textContent).toContain('<script>alert(1)</script>');
  });

  it('turns images into plain links that load nothing', () => {
    const host = dom(renderAnswer('![the chart](https://example.com/chart.png)', null));
    expect(host.querySelector('img')).toBeNull();
    const link = host.querySelector('a');
    expect(link?.getAttribute('href')).toBe('https://example.com/chart.png');
    expect(link?.textContent).toBe('the chart');
  });

  it('opens links in a new tab without opener or referrer', () => {
    const host = dom(renderAnswer('See [the site](https://example.com) or <https://example.org>.', null));
    const links = [...host.querySelectorAll('a')];
    expect(links).toHaveLength(2);
    for (const link of links) {
      expect(link.getAttribute('target')).toBe('_blank');
      expect(link.getAttribute('rel')).toBe('noopener noreferrer');
    }
  });

  it('keeps ordinary Markdown', () => {
    const host = dom(renderAnswer('# Title\n\n- **bold** item\n- `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |', null));
    expect(host.querySelector('h1')?.textContent).toBe('Title');
    expect(host.querySelector('strong')?.textContent).toBe('bold');
    expect(host.querySelectorAll('li')).toHaveLength(2);
    expect(host.querySelector('table td')?.textContent).toBe('1');
  });
});

describe('helpers', () => {
  it('escapeHtml escapes the five characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('isSafeUrl accepts http(s) and mailto only', () => {
    expect(isSafeUrl('https://example.com/a.pdf')).toBe(true);
    expect(isSafeUrl('http://intranet/a')).toBe(true);
    expect(isSafeUrl('mailto:a@example.com')).toBe(true);
    expect(isSafeUrl('javascript:alert(1)')).toBe(false);
    expect(isSafeUrl(' JavaScript:alert(1)')).toBe(false);
    expect(isSafeUrl('data:text/html,x')).toBe(false);
    expect(isSafeUrl('/relative/path')).toBe(false);
    expect(isSafeUrl(null)).toBe(false);
    expect(isSafeUrl('')).toBe(false);
  });
});
