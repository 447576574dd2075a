{% macro as_of_moment() -%}
    {#- The moment a night judges as at: the DAG's logical date, or `refresh --as-of`.
        No model reads the wall clock, so a past night can be rebuilt as it ran. -#}
    cast('{{ var("as_of") }}' as timestamptz)
{%- endmacro %}

{% macro as_of_date() -%}
    {#- The day in England the night judges as at (deadlines are English dates). -#}
    cast(timezone('Europe/London', {{ as_of_moment() }}) as date)
{%- endmacro %}
