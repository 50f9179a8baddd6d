import sanitizeHtml from 'sanitize-html';

export interface SanitizeOptions {
  /** Inline images (`cid:` references) mapped to the URL their stored attachment has. */
  readonly inlineImages: ReadonlyMap<string, string>;
  /** Keep remote images as images (they would tell the sender when the mail was read). @default false */
  readonly loadRemoteImages?: boolean;
}

const remote = /^https?:/i;

/**
 * A mail's HTML made safe to show an agent: no scripts, styles, forms, frames or event
 * handlers; links kept (opening in a new tab, without referrer); inline `cid:` images
 * pointed at their stored attachments; remote images turned into links unless the
 * channel allows loading them, so that opening a mail tells nobody it was read.
 */
export function sanitizeMailHtml(html: string, options: SanitizeOptions): string {
  return sanitizeHtml(html, {
    allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img'],
    allowedAttributes: {
      a: ['href', 'name', 'title', 'target', 'rel'],
      img: ['src', 'alt', 'title', 'width', 'height'],
      td: ['colspan', 'rowspan'],
      th: ['colspan', 'rowspan'],
    },
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    // Remote images are links by now (transformTags runs first) unless the channel loads them.
    allowedSchemesByTag: { img: ['http', 'https', 'data'] },
    allowProtocolRelative: false,
    transformTags: {
      a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer nofollow' } }),
      img: (tagName, attribs): sanitizeHtml.Tag => {
        const src = attribs.src ?? '';
        if (src.toLowerCase().startsWith('cid:')) {
          const url = options.inlineImages.get(src.slice(4).replace(/^<|>$/g, ''));
          return url ? { tagName, attribs: { ...attribs, src: url } } : { tagName: 'span', attribs: {}, text: attribs.alt ?? '' };
        }
        if (remote.test(src) && !options.loadRemoteImages) {
          return { tagName: 'a', attribs: { href: src, target: '_blank', rel: 'noopener noreferrer nofollow' }, text: `[image${attribs.alt ? `: ${attribs.alt}` : ''}]` };
        }
        return { tagName, attribs };
      },
    },
  });
}
