{% macro render_evidence(template, numerator, denominator, value, detail, withheld=none) -%}
    {#- Fill an evidence template from the check catalogue with a check's numbers.

        With ``withheld`` (a dict of two SQL booleans, ``counts`` and ``all``), the
        sentence is the one published outside the LA: a withheld count, and every share
        made from it, reads 'c', and a share that rounds to 0% reads 'low', as the
        Department for Education publishes statistics. -#}
    {%- set shortfall = "(" ~ denominator ~ " - " ~ numerator ~ ")" -%}
    {%- set shortfall_rate = shortfall ~ " / nullif(" ~ denominator ~ ", 0)" -%}
    {%- set share_rate = numerator ~ " / nullif(" ~ denominator ~ ", 0)" -%}
    {#- placeholder, its SQL, what withholds it, the share it shows (for 'low') -#}
    {%- set placeholders = [
        ("{numerator}", "format('{:,}', cast(round(" ~ numerator ~ ") as bigint))",
            "counts", none),
        ("{denominator}", "format('{:,}', cast(round(" ~ denominator ~ ") as bigint))",
            "all", none),
        ("{shortfall_pct}", "format('{:.0f}%', 100 * " ~ shortfall_rate ~ ")",
            "counts", shortfall_rate),
        ("{shortfall}", "format('{:,}', cast(round(" ~ shortfall ~ ") as bigint))",
            "counts", none),
        ("{share_pct}", "format('{:.1f}%', 100 * " ~ share_rate ~ ")", "counts", none),
        ("{value_pct}", "format('{:.0f}%', 100 * " ~ value ~ ")", "counts", value),
        ("{value_ratio}", "format('{:.2f}', " ~ value ~ ")", "counts", none),
        ("{value}", "format('{:,}', cast(round(" ~ value ~ ") as bigint))", none, none),
        ("{detail}", detail, none, none),
    ] -%}
    {%- set ns = namespace(sql=template, filler='') -%}
    {%- for placeholder, filler, withheld_by, share in placeholders -%}
        {%- set ns.filler = filler -%}
        {%- if withheld is not none and share is not none -%}
            {%- set ns.filler = "case when " ~ share ~ " > 0 and round(100 * " ~ share
                ~ ") = 0 then 'low' else " ~ ns.filler ~ " end" -%}
        {%- endif -%}
        {%- if withheld is not none and withheld_by is not none -%}
            {%- set ns.filler = "case when " ~ withheld[withheld_by] ~ " then 'c' else "
                ~ ns.filler ~ " end" -%}
        {%- endif -%}
        {%- set ns.sql = "replace(" ~ ns.sql ~ ", '" ~ placeholder ~ "', coalesce("
            ~ ns.filler ~ ", ''))" -%}
    {%- endfor -%}
    {{ ns.sql }}
{%- endmacro %}
