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

{% macro is_withheld_in_total(count, group_by, is_total, tie_break) -%}
    {#- Whether a count in a table that also publishes its group's total is withheld
        outside the LA: a small count (primary suppression), or, where a group has
        exactly one small cell, the group's next smallest cell too (secondary), or the
        total less the cells shown would give the small one back. -#}
    (
        {{ is_small_count(count) }}
        or (
            not {{ is_total }}
            and {{ count }} > 0
            and count(*) filter (where {{ is_small_count(count) }} and not {{ is_total }})
                over (partition by {{ group_by | join(', ') }}) = 1
            and row_number() over (
                partition by {{ group_by | join(', ') }}
                order by
                    {{ is_small_count(count) }} or {{ is_total }} or {{ count }} = 0,
                    {{ count }},
                    {{ tie_break | join(', ') }}
            ) = 1
        )
    )
{%- endmacro %}
