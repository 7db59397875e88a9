from __future__ import annotations

from fairlance.core.markdown import render_markdown


def test_basic_markdown_renders_to_allowed_tags():
    # given markdown with emphasis, a list, code and a quote
    text = "Hello *there* and **you**\n\n- one\n- two\n\n`x = 1`\n\n> quoted"
    # when rendered
    html = render_markdown(text)
    # then the structure survives
    assert "<em>there</em>" in html
    assert "<strong>you</strong>" in html
    assert "<ul>\n<li>one</li>" in html
    assert "<code>x = 1</code>" in html
    assert "<blockquote>" in html


def test_raw_html_and_scripts_are_inert():
    # given a description trying to inject markup
    text = 'Hi <script>alert(1)</script> <img src=x onerror="alert(2)"> <iframe src="//evil">'
    # when rendered
    html = render_markdown(text)
    # then nothing executable remains: the markup is shown as text
    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert "&lt;script&gt;" in html


def test_links_get_rel_and_dangerous_schemes_are_dropped():
    html = render_markdown(
        "[ok](https://example.com) [bad](javascript:alert(1)) [d](data:text/html,x)"
    )
    assert '<a href="https://example.com" rel="nofollow noopener ugc">ok</a>' in html
    assert "javascript:" not in html.replace("[bad](javascript:alert(1))", "")
    assert 'href="javascript' not in html
    assert 'href="data' not in html


def test_headings_are_demoted_below_the_page_heading():
    html = render_markdown("# Big\n\n## Medium\n\n#### Small\n\n###### Tiny")
    assert "<h1" not in html and "<h2" not in html
    assert "<h3>Big</h3>" in html
    assert "<h3>Medium</h3>" in html
    assert "<h4>Small</h4>" in html
    assert "<h4>Tiny</h4>" in html


def test_images_in_markdown_do_not_become_img_tags():
    html = render_markdown("![tracker](https://evil.example/pixel.png)")
    assert "<img" not in html


def test_empty_text_renders_empty():
    assert render_markdown("") == ""
    assert render_markdown("   \n ") == ""
