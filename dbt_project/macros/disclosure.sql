{% macro is_small_count(count) -%}
    {#- A count of people from 1 to (disclosure_counts_below - 1): withheld outside the LA. -#}
    ({{ count }} >= 1 and {{ count }} < {{ var('disclosure_counts_below') }})
{%- endmacro %}

{% macro as_published(figure, status, withheld) -%}
    {#- A figure as published outside the LA, in DfE's symbols: x not available (no
        return), z not applicable, c withheld; whole numbers without a decimal point. -#}
    case
        when {{ status }} = 'no_return' then 'x'
        when {{ status }} = 'not_applicable' then 'z'
        when {{ withheld }} then 'c'
        when {{ figure }} is null then 'x'
        when {{ figure }} = round({{ figure }}) then cast(cast({{ figure }} as bigint) as varchar)
        else cast(round({{ figure }}, 4) as varchar)
    end
{%- endmacro %}
