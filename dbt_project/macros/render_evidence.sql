{% macro render_evidence(template, numerator, denominator, value, detail) -%}
    {#- Fill an evidence template from the check catalogue with a check's numbers. -#}
    {%- set shortfall = "(" ~ denominator ~ " - " ~ numerator ~ ")" -%}
    {%- set placeholders = [
        ("{numerator}", "format('{:,}', cast(round(" ~ numerator ~ ") as bigint))"),
        ("{denominator}", "format('{:,}', cast(round(" ~ denominator ~ ") as bigint))"),
        ("{shortfall_pct}",
            "format('{:.0f}%', 100 * " ~ shortfall ~ " / nullif(" ~ denominator ~ ", 0))"),
        ("{shortfall}", "format('{:,}', cast(round(" ~ shortfall ~ ") as bigint))"),
        ("{share_pct}",
            "format('{:.1f}%', 100 * " ~ numerator ~ " / nullif(" ~ denominator ~ ", 0))"),
        ("{value_pct}", "format('{:.0f}%', 100 * " ~ value ~ ")"),
        ("{value_ratio}", "format('{:.2f}', " ~ value ~ ")"),
        ("{value}", "format('{:,}', cast(round(" ~ value ~ ") as bigint))"),
        ("{detail}", detail),
    ] -%}
    {%- set ns = namespace(sql=template) -%}
    {%- for placeholder, filler in placeholders -%}
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", '" ~ placeholder ~ "', coalesce("
            ~ filler ~ ", ''))" -%}
    {%- endfor -%}
    {{ ns.sql }}
{%- endmacro %}
